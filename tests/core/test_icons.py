"""The icon sprite holds exactly the icons the pages may draw, every icon a template
names is one of them, and an icon is hidden from screen readers (the words beside it
carry the meaning)."""

import re
from pathlib import Path

import pytest
from django.template import Context, Template, TemplateSyntaxError

from core.icons import ICONS, SPRITE

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_the_sprite_holds_exactly_the_listed_icons():
    symbols = re.findall(r'<symbol id="([a-z0-9-]+)"', SPRITE.read_text())
    assert symbols == list(ICONS)


def test_the_licence_is_vendored_beside_the_sprite():
    licence = (SPRITE.parent / "LICENSE").read_text()
    assert "MIT License" in licence and "The Bootstrap Authors" in licence


def test_every_icon_a_template_names_is_in_the_sprite():
    used = set()
    for path in TEMPLATES.rglob("*.html"):
        used |= set(re.findall(r'\{% icon "([^"]+)"', path.read_text()))
    assert used, "no template draws an icon"
    assert used <= set(ICONS), used - set(ICONS)


def test_an_icon_is_hidden_from_screen_readers_and_points_into_the_sprite():
    html = Template('{% icon "calendar3" %}Calendar').render(Context())
    assert 'aria-hidden="true"' in html and 'focusable="false"' in html
    assert "vendor/bootstrap-icons/icons.svg#calendar3" in html
    assert html.endswith("</svg>Calendar")


def test_an_unknown_icon_fails_where_it_is_written():
    with pytest.raises(TemplateSyntaxError, match="No icon 'nope'"):
        Template('{% icon "nope" %}').render(Context())


def test_an_icon_follows_the_static_url_when_it_changes(settings):
    draw = Template('{% icon "house" %}')
    assert 'href="/static/' in draw.render(Context())  # made once, then reused
    settings.STATIC_URL = "https://cdn.example.test/static/"
    assert 'href="https://cdn.example.test/static/' in draw.render(Context())
