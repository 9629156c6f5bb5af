"""`{% icon "name" %}`: a Bootstrap Icon from the app's sprite (core.icons), hidden
from screen readers: the words beside it say what it means."""

from functools import lru_cache

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.templatetags.static import static
from django.utils.html import format_html

from core.icons import ICONS, SPRITE_URL

register = template.Library()

_KNOWN = frozenset(ICONS)


@register.simple_tag
def icon(name: str, extra_class: str = ""):
    if name not in _KNOWN:
        # A name the sprite lacks would draw nothing: say so where it is written.
        raise template.TemplateSyntaxError(f"No icon {name!r} in core.icons.ICONS.")
    return _markup(name, extra_class)


# Every page draws some twenty icons, and the sprite's static URL (the manifest's
# hashed name, joined to STATIC_URL) cost more than the rest of the tag: it is the
# same all the process long, so each icon's markup is made once.
@lru_cache(maxsize=512)
def _markup(name: str, extra_class: str):
    return format_html(
        '<svg class="bi{}" aria-hidden="true" focusable="false">'
        '<use href="{}#{}"></use></svg>',
        f" {extra_class}" if extra_class else "",
        static(SPRITE_URL),
        name,
    )


@receiver(setting_changed)
def _static_changed(*, setting, **_kwargs):
    if setting in ("STATIC_URL", "STORAGES", "STATICFILES_STORAGE"):
        _markup.cache_clear()
