"""Every page a manager, a visitor and a signed-in client can open, at a phone's
(390 px) and a tablet's (820 px) width: none scrolls sideways, axe-core finds nothing
serious, and the Content Security Policy refuses nothing. The pages and their
arguments are the access matrix's: one of each record, from the demo data."""

import pytest
from playwright.sync_api import Error as PlaywrightError

from core.roles import Role
from portal.services import sign_in_link
from tests.e2e.conftest import axe_violations, new_page
from tests.smp_clinic.test_access_matrix import EXPECTED, OK, ROLES, World

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "browser test passphrase 2026"
WIDTHS = (390, 820)
# Files, feeds and machine answers, not pages.
NOT_PAGES = (".csv", ".ics", ".pdf", ".png", ".ico", "healthz", "metrics", "api/")


def pages_for(role: str) -> list[str]:
    column = ROLES.index(role)
    return [
        route
        for route, (get, _post) in EXPECTED.items()
        if get[column] == OK
        and not any(mark in route for mark in NOT_PAGES)
        and not route.startswith(("admin/", "s/"))
        and "<str:size>" not in route
        # The booking dialog's client options: a fragment htmx puts into a page.
        and route != "clients/options/"
        # The card deposit's pages need a signed token and a Stripe stand-in:
        # tests/e2e/test_card_deposit.py checks them with axe-core.
        and not route.startswith("pay/")
        and not route.endswith(("/signature/", "/file/", "email.html", "/logo/"))
    ]


def check(page, url: str, width: int) -> list[str]:
    try:
        response = page.goto(url)
    except PlaywrightError as error:
        if "Download is starting" in str(error):  # an export, not a page
            return []
        raise
    if response is None or "text/html" not in response.headers.get("content-type", ""):
        return []
    page.wait_for_load_state()
    found = [f"{url} at {width}px: {v}" for v in axe_violations(page)]
    overflow = page.evaluate("document.documentElement.scrollWidth - innerWidth")
    if overflow > 0:
        found.append(f"{url} at {width}px: scrolls sideways by {overflow}px")
    return found


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return World()


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_fits_the_width_and_passes_axe(
    live_server, browser, world, make_staff, width
):
    make_staff(Role.MANAGER, username="morgan", password=PASSWORD)
    problems, refused_all = [], []
    for role in ("manager", "anonymous", "client"):
        page, refused = new_page(browser, {"width": width, "height": 900})
        if role == "manager":
            page.goto(f"{live_server.url}/accounts/login/")
            page.get_by_label("Username").fill("morgan")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Log in").click()
            page.wait_for_url(f"{live_server.url}/")
        if role == "client":
            link = sign_in_link(world.client).replace(
                "http://127.0.0.1:8000", live_server.url
            )
            page.goto(live_server.url + "/my/link/" + link.split("/my/link/")[1])
            page.locator("main button[type=submit]").first.click()
            page.wait_for_url(f"{live_server.url}/my/")
        for route in pages_for(role):
            url = live_server.url + world.url(route)
            problems += [f"{role}: {problem}" for problem in check(page, url, width)]
        refused_all += refused
        page.context.close()
    assert not refused_all, "the Content Security Policy refused:\n" + "\n".join(
        refused_all
    )
    assert not problems, "\n".join(problems)
