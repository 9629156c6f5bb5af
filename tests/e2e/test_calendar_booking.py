"""The front desk books from the calendar in a real browser: a free time, the dialog,
client search as you type, a conflict with offered times, then the day's workflow."""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from appointments.models import (
    Appointment,
    Location,
    Practitioner,
    Room,
    Service,
    TimeOff,
    WorkingHours,
)
from clients.models import Client
from core.roles import Role
from tests.e2e.conftest import axe_violations

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "browser test passphrase 2026"


@pytest.fixture
def clinic(make_staff):
    london = Location.objects.create(name="London", timezone="Europe/London")
    Room.objects.create(location=london, name="Studio 1")
    Service.objects.create(
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
    Client.objects.create(first_name="Jo", last_name="Bloggs", email="jo@x.test")
    Client.objects.create(first_name="Max", last_name="Mustermann", phone="+4930123")
    make_staff(Role.FRONT_DESK, username="dana", password=PASSWORD, first_name="Dana")
    tomorrow = timezone.now().astimezone(london.zone).date() + timedelta(days=1)
    return london, tomorrow


def log_in(page, live_server):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("dana")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Front desk dashboard")


def book_in_dialog(page, search: str, name: str):
    dialog = page.locator("dialog#dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Search clients by name, email or phone").fill(search)
    dialog.get_by_label(name).check()
    dialog.get_by_label("Service").select_option(label="Consultation")


def test_the_front_desk_books_from_a_free_time_and_resolves_a_conflict(
    live_server, page, screenshot, clinic
):
    london, tomorrow = clinic
    log_in(page, live_server)
    page.get_by_role("link", name="Calendar").click()
    page.get_by_label("Date").fill(tomorrow.isoformat())
    page.get_by_role("button", name="Show").click()
    page.wait_for_load_state()  # htmx (deferred) opens the booking dialog
    expect(page.get_by_role("columnheader", name="Sam Okafor")).to_be_visible()
    screenshot("1-day-view")

    page.get_by_role("link", name="Book 10:00").click()
    book_in_dialog(page, "blog", "Jo Bloggs")
    expect(page.get_by_label("Time")).to_have_value("10:00")
    screenshot("2-booking-dialog")
    page.locator("dialog").get_by_role("button", name="Book", exact=True).click()

    done = page.get_by_text("Done: Booked: Sam Okafor has Consultation")
    expect(done).to_be_visible()
    page.wait_for_load_state()
    expect(page.locator(".cal-entry")).to_contain_text("Jo Bloggs")
    screenshot("3-booked")

    # A second client at the same time: refused, with the next free times offered.
    page.get_by_role("link", name="Book 09:45").click()
    book_in_dialog(page, "+4930", "Max Mustermann")
    page.locator("dialog").get_by_label("Time").fill("10:00")
    page.locator("dialog").get_by_label("Notes").fill("Referred by Jo")
    page.locator("dialog").get_by_role("button", name="Book", exact=True).click()
    dialog = page.locator("dialog")
    expect(dialog.get_by_text("That time is taken")).to_be_visible()
    expect(dialog.get_by_label("Notes")).to_have_value("Referred by Jo")
    screenshot("4-conflict")
    dialog.get_by_role("group", name="Next free times").get_by_role(
        "button"
    ).first.click()
    expect(page.locator(".cal-entry", has_text="Max Mustermann")).to_contain_text(
        "10:30"
    )
    booked = Appointment.objects.get(client__last_name="Mustermann")
    assert booked.notes == "Referred by Jo"
    assert booked.starts_at.astimezone(london.zone).time() == time(10, 30)

    # Open Jo's appointment and confirm it.
    page.locator(".cal-entry", has_text="Jo Bloggs").click()
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("Status: Confirmed")).to_be_visible()
    screenshot("5-confirmed")


def test_time_off_over_bookings_draws_each_at_its_time_side_by_side(
    live_server, page, screenshot, clinic
):
    london, tomorrow = clinic
    sam = Practitioner.objects.get()
    consultation = Service.objects.get()
    jo, max_ = Client.objects.order_by("pk")
    starts = {
        name: datetime.combine(tomorrow, at, london.zone)
        for name, at in (("jo", time(11)), ("max", time(14)))
    }
    for person, key in ((jo, "jo"), (max_, "max")):
        Appointment.objects.create(
            client=person,
            service=consultation,
            practitioner=sam,
            location=london,
            starts_at=starts[key],
            ends_at=starts[key] + timedelta(minutes=30),
            busy_starts_at=starts[key],
            busy_ends_at=starts[key] + timedelta(minutes=30),
            source="phone",
        )
    # Time off added afterwards, over Jo's booking: 10:00-13:00.
    TimeOff.objects.create(
        practitioner=sam,
        starts_at=datetime.combine(tomorrow, time(10), london.zone),
        ends_at=datetime.combine(tomorrow, time(13), london.zone),
        reason="Dentist",
    )
    log_in(page, live_server)
    page.goto(
        f"{live_server.url}/calendar/?location={london.pk}&date={tomorrow.isoformat()}"
    )
    time_off = page.locator(".cal-entry.time-off")
    jo_entry = page.locator(".cal-entry", has_text="Jo Bloggs")
    max_entry = page.locator(".cal-entry", has_text="Max Mustermann")
    expect(time_off).to_be_visible()
    expect(jo_entry).to_be_visible()
    screenshot("side-by-side")

    def row_top(label: str) -> float:
        return page.locator("th.time", has_text=label).bounding_box()["y"]

    off_box, jo_box = time_off.bounding_box(), jo_entry.bounding_box()
    # Each starts on its own row, not one under the other from 10:00.
    assert abs(off_box["y"] - row_top("10:00")) < 6
    assert abs(jo_box["y"] - row_top("11:00")) < 6
    # Side by side: Jo's booking right of the time off, neither covering the other.
    assert jo_box["x"] >= off_box["x"] + off_box["width"] - 1
    # A booking alone uses the column's full width again.
    max_box = max_entry.bounding_box()
    assert max_box["width"] > 1.6 * jo_box["width"]
    assert not axe_violations(page)


def test_the_booking_form_offers_only_the_chosen_locations_people(
    live_server, page, clinic, make_staff
):
    """Issue 20 item 6: choosing a location leaves only its practitioners and rooms;
    a choice at another location is cleared."""
    soho = Location.objects.create(name="SoHo", timezone="America/New_York")
    Room.objects.create(location=soho, name="Studio B")
    user = make_staff(Role.PRACTITIONER, first_name="Riley", last_name="Chen")
    Practitioner.objects.create(user=user, licence_number="NY-1").locations.add(soho)
    log_in(page, live_server)
    page.goto(f"{live_server.url}/appointments/new/")
    practitioner = page.get_by_label("Practitioner")
    practitioner.select_option(label="Sam Okafor")
    page.get_by_label("Location").select_option(label="SoHo")
    expect(practitioner).to_have_value("")
    expect(practitioner.locator("option:not([hidden])")).to_have_text(
        ["---------", "Riley Chen"]
    )
    expect(page.get_by_label("Room").locator("option:not([hidden])")).to_have_text(
        ["Assign a free room", "Studio B (SoHo)"]
    )
    page.get_by_label("Location").select_option(label="London")
    expect(practitioner.locator("option:not([hidden])")).to_have_text(
        ["---------", "Sam Okafor"]
    )


def test_free_times_on_the_calendar_read_as_bookable_without_hovering(
    live_server, page, clinic
):
    """Issue 20 item 6: a free cell's "+ Book 10:00" is shown, not only on hover."""
    london, tomorrow = clinic
    log_in(page, live_server)
    page.goto(f"{live_server.url}/calendar/?location={london.pk}&date={tomorrow}")
    free = page.locator("td.cal-free a").first
    expect(free).to_contain_text("Book 09:00")
    colour = free.evaluate("a => getComputedStyle(a).color")
    assert colour not in ("transparent", "rgba(0, 0, 0, 0)"), colour
    marker = free.evaluate("a => getComputedStyle(a, '::before').content")
    assert "+" in marker
