"""The staff menu is rendered once per process for each set of capabilities and page
(core/templatetags/menu.py): each role still sees its own links, the page it is on is
the current one, and a role taken away leaves the menu on the next page."""

import re

import pytest
from django.contrib.auth.models import Group
from django.test.utils import override_script_prefix

from core.roles import Role
from core.templatetags import menu


@pytest.fixture(autouse=True)
def _fresh_menu():
    menu._memo.cache_clear()
    yield
    menu._memo.cache_clear()


def nav(page: str) -> str:
    return re.search(r'<ul class="navbar-nav me-auto">.*?</ul>', page, re.S)[0]


def current(page: str) -> list[str]:
    return re.findall(r'href="([^"]+)"\s+aria-current="page"', nav(page))


def test_each_role_sees_its_links_and_the_page_it_is_on(client, front_desk, manager):
    client.force_login(front_desk)
    calendar = client.get("/calendar/").text
    assert 'href="/clients/"' in nav(calendar)
    assert 'href="/setup/"' not in nav(calendar)
    assert current(calendar) == ["/calendar/"]
    assert "{#" not in nav(calendar) and "{%" not in nav(calendar)
    assert "staff menu" not in calendar  # nor the template's own comment
    # The same capabilities on another page: that page is the current one.
    home = client.get("/").text
    assert current(home) == ["/"]
    assert current(client.get("/calendar/").text) == ["/calendar/"]

    client.force_login(manager)
    managing = client.get("/calendar/").text
    assert 'href="/setup/"' in nav(managing)
    assert 'href="/audit/"' in nav(managing)
    assert current(managing) == ["/calendar/"]


def test_a_role_taken_away_leaves_the_menu_on_the_next_page(client, manager):
    client.force_login(manager)
    assert 'href="/setup/"' in nav(client.get("/").text)
    manager.groups.set([Group.objects.get(name=Role.FRONT_DESK.value)])
    page = client.get("/").text
    assert 'href="/setup/"' not in nav(page)
    assert 'href="/calendar/"' in nav(page)


def test_the_kept_menu_is_the_menu_rendered_afresh(client, practitioner, settings):
    client.force_login(practitioner)
    kept = nav(client.get("/clients/").text)
    assert menu._memo.cache_info().currsize == 1
    settings.DEBUG = True  # rendered afresh every time
    assert nav(client.get("/clients/").text) == kept


def test_no_user_text_reaches_the_kept_menu(client, make_staff):
    hostile = make_staff(Role.FRONT_DESK, first_name="<b>Mallory</b>")
    client.force_login(hostile)
    page = client.get("/").text
    assert "Mallory" not in nav(page)
    assert "&lt;b&gt;Mallory&lt;/b&gt;" in page  # the user's name, escaped, elsewhere


def test_a_site_served_under_a_prefix_keeps_a_menu_of_its_own(client, front_desk):
    client.force_login(front_desk)
    assert 'href="/calendar/"' in nav(client.get("/").text)
    with override_script_prefix("/clinic/"):
        prefixed = nav(client.get("/").text)
    assert 'href="/clinic/calendar/"' in prefixed
    assert 'href="/calendar/"' not in prefixed
