"""Each role logs in through a real browser and lands on its dashboard."""

import pytest
from playwright.sync_api import expect

from core.roles import Role

# The live server runs in another thread: it sees committed rows only.
pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "browser test passphrase 2026"


@pytest.mark.parametrize(
    ("role", "heading"),
    [
        (Role.FRONT_DESK, "Front desk dashboard"),
        (Role.PRACTITIONER, "Practitioner dashboard"),
        (Role.MANAGER, "Manager dashboard"),
    ],
)
def test_staff_log_in_and_see_their_dashboard(
    live_server, page, screenshot, make_staff, role, heading
):
    make_staff(role, username="sam", password=PASSWORD, first_name="Sam")

    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.get_by_label("Username").fill("sam")
    page.get_by_label("Password").fill(PASSWORD)
    screenshot("login")
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    expect(page.get_by_role("navigation", name="Main")).to_contain_text("Sam")
    screenshot("dashboard")


def test_a_wrong_password_keeps_the_user_on_the_login_page(
    live_server, page, make_staff
):
    make_staff(Role.FRONT_DESK, username="dana", password=PASSWORD)

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("dana")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()

    expect(
        page.get_by_text("Please enter a correct username and password")
    ).to_be_visible()
    expect(page.get_by_label("Username")).to_have_value("dana")


def test_logging_out_from_the_menu_returns_to_the_login_page(
    live_server, page, make_staff
):
    make_staff(Role.MANAGER, username="morgan", password=PASSWORD, first_name="Morgan")
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("morgan")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.get_by_role("button", name="Morgan").click()
    page.get_by_role("button", name="Log out").click()

    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
