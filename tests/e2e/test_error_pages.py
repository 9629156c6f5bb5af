"""The error pages and the appointments-to-move list in a real browser: axe-core
finds nothing serious, nothing scrolls sideways on a phone or a tablet, and the
Content Security Policy refuses nothing."""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from appointments.models import (
    Appointment,
    Location,
    Practitioner,
    Service,
    TimeOff,
    WorkingHours,
)
from clients.models import Client
from core.roles import Role
from tests.e2e.conftest import axe_violations, new_page
from tests.e2e.screens import SCREENSHOTS

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "browser test passphrase 2026"
WIDTHS = (390, 820)


@pytest.fixture
def front_desk_with_a_clash(make_staff):
    """Sam's booking tomorrow at 11:00, and time off over it added afterwards."""
    london = Location.objects.create(name="London", timezone="Europe/London")
    service = Service.objects.create(
        name="Consultation", kind="consultation", duration_minutes=30, needs_room=False
    )
    user = make_staff(Role.PRACTITIONER, first_name="Sam", last_name="Okafor")
    sam = Practitioner.objects.create(user=user, licence_number="BA-1")
    sam.locations.add(london)
    WorkingHours.objects.bulk_create(
        WorkingHours(
            practitioner=sam,
            location=london,
            weekday=weekday,
            start_time=time(9),
            end_time=time(17),
        )
        for weekday in range(7)
    )
    tomorrow = timezone.now().astimezone(london.zone).date() + timedelta(days=1)
    starts = datetime.combine(tomorrow, time(11), london.zone)
    Appointment.objects.create(
        client=Client.objects.create(first_name="Jo", last_name="<b>Bloggs</b>"),
        service=service,
        practitioner=sam,
        location=london,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=30),
        busy_starts_at=starts,
        busy_ends_at=starts + timedelta(minutes=30),
        source="phone",
    )
    TimeOff.objects.create(
        practitioner=sam,
        starts_at=starts - timedelta(hours=1),
        ends_at=starts + timedelta(hours=2),
        reason="Dentist",
    )
    make_staff(Role.FRONT_DESK, username="dana", password=PASSWORD, first_name="Dana")


def check(page, url):
    page.goto(url)
    page.wait_for_load_state()
    assert not axe_violations(page), url
    overflow = page.evaluate("document.documentElement.scrollWidth - innerWidth")
    assert overflow <= 0, f"{url} scrolls sideways by {overflow}px"


@pytest.mark.parametrize("width", WIDTHS)
def test_error_pages_and_the_list_to_move_pass_axe_at_phone_and_tablet_width(
    live_server, browser, settings, front_desk_with_a_clash, width
):
    settings.MESSAGE_LINK_RATE_LIMIT = 0
    page, refused = new_page(browser, {"width": width, "height": 900})
    base = live_server.url
    check(page, f"{base}/no-such-page/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "There is nothing at this address"
    )
    check(page, f"{base}/m/any-token/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Too many requests")

    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill("dana")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Front desk dashboard")
    check(page, f"{base}/")
    expect(page.get_by_role("heading", name="Appointments to move (1)")).to_be_visible()
    expect(page.get_by_text("time off (Dentist)")).to_be_visible()
    expect(page.get_by_text("Jo <b>Bloggs</b>").first).to_be_visible()
    check(page, f"{base}/setup/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "This page is not open to you"
    )
    check(page, f"{base}/clients/999999/")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"error-page-{width}.png"), full_page=True)
    page.get_by_role("link", name="Back to the dashboard").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Front desk dashboard")
    page.context.close()
    assert not refused, "the Content Security Policy refused:\n" + "\n".join(refused)
