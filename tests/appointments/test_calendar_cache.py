"""The day calendar is served from the cache until something it shows changes: each
kind of change below shows on the very next page, and a page served from the cache
is the page rendered afresh."""

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from appointments import calendar_cache, selectors, services, slots
from appointments.models import Appointment, Closure, Location, WorkingHours
from clients import services as client_services
from privacy import services as privacy_services

pytestmark = pytest.mark.usefixtures("frozen_now", "rooms")

DAY = "2026-03-02"  # the tests' Monday; London is on GMT, wall times equal UTC
TEN = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def page(client, front_desk, london, sam):
    """The day's calendar as the front desk sees it, loaded once so it is cached."""
    client.force_login(front_desk)

    def load():
        return client.get("/calendar/", {"location": london.pk, "date": DAY}).text

    load()
    return load


def grid(html: str) -> str:
    return html[html.index('<div class="d-flex flex-wrap') : html.index("</main>")]


def test_a_second_load_is_served_from_the_cache_and_is_the_same_page(
    page, client, london
):
    first = page()
    with CaptureQueriesContext(connection) as served:
        second = page()
    cache.clear()
    with CaptureQueriesContext(connection) as rendered:
        fresh = page()

    assert grid(first) == grid(second) == grid(fresh)
    assert len(served) < len(rendered) - 5


def test_a_booking_a_move_and_a_cancellation_show_at_once(page, jo, consultation, sam):
    appointment = services.appointment_book(
        client=jo,
        service=consultation,
        practitioner=sam,
        starts_at=TEN,
        booked_by=None,
    )
    assert "Jo Bloggs" in page() and "10:00–10:30" in page()

    services.appointment_reschedule(
        appointment=appointment, starts_at=TEN + timedelta(hours=4), by=None
    )
    assert "14:00–14:30" in page()

    services.appointment_cancel(appointment=appointment, reason="Unwell", by=None)
    shown = page()
    assert "14:00–14:30" not in shown and "(Unwell)" in shown


def day_page(client, location, day: str) -> str:
    return client.get("/calendar/", {"location": location.pk, "date": day}).text


def served_from_cache(load) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as queries:
        html = load()
    return html, len(queries)


def test_a_booking_on_another_day_leaves_this_day_in_the_cache(
    page, client, london, jo, consultation, sam
):
    page()  # again: jo's arrival renewed every day
    _, cached = served_from_cache(page)
    tomorrow = "2026-03-03"
    day_page(client, london, tomorrow)  # cached before the booking

    services.appointment_book(
        client=jo,
        service=consultation,
        practitioner=sam,
        starts_at=TEN + timedelta(days=1),
        booked_by=None,
    )

    html, after = served_from_cache(page)
    assert after == cached < 5  # today's page was not rendered again
    assert "Jo Bloggs" not in html
    assert "Jo Bloggs" in day_page(client, london, tomorrow)


def test_a_move_leaves_the_old_day_at_once_each_time(
    page, client, london, jo, consultation, sam
):
    """Moved twice through one instance, each move renews the day it leaves."""
    tomorrow, after_that = "2026-03-03", "2026-03-04"
    appointment = services.appointment_book(
        client=jo, service=consultation, practitioner=sam, starts_at=TEN, booked_by=None
    )
    assert "Jo Bloggs" in page()
    assert "Jo Bloggs" not in day_page(client, london, tomorrow)

    services.appointment_reschedule(
        appointment=appointment, starts_at=TEN + timedelta(days=1), by=None
    )
    assert "Jo Bloggs" not in page()
    assert "Jo Bloggs" in day_page(client, london, tomorrow)

    services.appointment_reschedule(
        appointment=appointment, starts_at=TEN + timedelta(days=2), by=None
    )
    assert "Jo Bloggs" not in day_page(client, london, tomorrow)
    assert "Jo Bloggs" in day_page(client, london, after_that)

    # One instance saved twice (as the admin's form would, read once): the second
    # save leaves the day the first one put it on.
    same = Appointment.objects.get(pk=appointment.pk)
    for _ in range(2):
        for field in ("starts_at", "ends_at", "busy_starts_at", "busy_ends_at"):
            setattr(same, field, getattr(same, field) - timedelta(days=1))
        same.save()
        day_page(client, london, tomorrow)  # cached between the saves
    assert "Jo Bloggs" not in day_page(client, london, after_that)
    assert "Jo Bloggs" not in day_page(client, london, tomorrow)
    assert "Jo Bloggs" in page()


def test_a_deleted_appointment_leaves_its_day_at_once(page, jo, consultation, sam):
    appointment = services.appointment_book(
        client=jo, service=consultation, practitioner=sam, starts_at=TEN, booked_by=None
    )
    assert "Jo Bloggs" in page()
    appointment.messages.all().delete()
    appointment.delete()
    assert "Jo Bloggs" not in page()


@pytest.mark.parametrize(
    ("zone", "day"),
    [
        ("Pacific/Kiritimati", date(2026, 3, 2)),
        ("Pacific/Pago_Pago", date(2026, 3, 2)),
        ("Asia/Kathmandu", date(2026, 3, 2)),
        ("UTC", date(2026, 3, 2)),
        ("Europe/London", date(2026, 3, 29)),  # 23 hours
        ("Europe/London", date(2026, 10, 25)),  # 25 hours
    ],
)
def test_a_day_in_any_zone_is_renewed_by_what_touches_it_and_nothing_else(zone, day):
    """A local day's version is that of the UTC spans it touches: an appointment that
    touches the day, by a minute at either end, renews it; one a span outside does
    not."""
    here = ZoneInfo(zone)
    bounds = slots.local_day_bounds(day, here)

    def renewed_by(starts_at, ends_at):
        before = calendar_cache.day_version(day, here)
        calendar_cache.appointment_changed(
            Appointment(busy_starts_at=starts_at, busy_ends_at=ends_at)
        )
        return calendar_cache.day_version(day, here) != before

    minute = timedelta(minutes=1)
    assert calendar_cache.day_version(day, here) == calendar_cache.day_version(
        day, here
    )
    assert renewed_by(bounds.start - minute, bounds.start + minute)
    assert renewed_by(bounds.end - minute, bounds.end + minute)
    assert renewed_by(bounds.start + timedelta(hours=12), bounds.end - minute * 600)
    outside = timedelta(hours=calendar_cache.SPAN_HOURS)
    assert not renewed_by(bounds.end + outside, bounds.end + outside + minute * 60)
    assert not renewed_by(bounds.start - outside - minute * 60, bounds.start - outside)


def test_the_hour_the_clocks_go_back_renews_its_day_both_times():
    london = ZoneInfo("Europe/London")
    day = date(2026, 10, 25)
    for start in (
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC),  # 01:30 BST
        datetime(2026, 10, 25, 1, 30, tzinfo=UTC),  # 01:30 GMT
    ):
        before = calendar_cache.day_version(day, london)
        calendar_cache.appointment_changed(
            Appointment(
                busy_starts_at=start, busy_ends_at=start + timedelta(minutes=20)
            )
        )
        assert calendar_cache.day_version(day, london) != before


def test_a_booking_at_another_location_shows_on_this_one_at_once(
    page, jo, consultation, sam
):
    """Sam works in London and Leeds: a booking in Leeds is time Sam is away from
    London's calendar, shown there at once."""
    leeds = Location.objects.create(name="Leeds", timezone="Europe/London")
    sam.locations.add(leeds)
    WorkingHours.objects.create(
        practitioner=sam,
        location=leeds,
        weekday=0,
        start_time=time(9),
        end_time=time(12),
    )
    page()
    before = page()
    services.appointment_book(
        client=jo,
        service=consultation,
        practitioner=sam,
        location=leeds,
        starts_at=TEN,
        booked_by=None,
    )
    after = page()
    assert " · at Leeds" not in before
    assert " · at Leeds" in after and "Jo Bloggs" in after


def test_a_client_renamed_or_erased_shows_at_once(page, jo, consultation, sam, manager):
    services.appointment_book(
        client=jo, service=consultation, practitioner=sam, starts_at=TEN, booked_by=None
    )
    page()
    client_services.client_update(client=jo, first_name="Joanna")
    assert "Joanna Bloggs" in page()

    privacy_services.client_erase(
        client=jo,
        by=manager,
        reason="Asked to be forgotten",
        confirm_name="Joanna Bloggs",
    )
    assert "Joanna" not in page()


def test_time_off_hours_closures_and_names_show_at_once(page, sam, london):
    services.time_off_add(
        practitioner=sam,
        starts_at=TEN,
        ends_at=TEN + timedelta(hours=1),
        reason="Dentist",
    )
    assert "Dentist" in page()

    WorkingHours.objects.filter(practitioner=sam, start_time=time(13)).delete()
    assert "Book 14:00" not in page()

    sam.user.first_name = "Samuel"
    sam.user.save()
    assert "Samuel Okafor" in page()

    Closure.objects.create(location=london, date=date(2026, 3, 2), name="Flood")
    assert "Closed:</strong> Flood" in page()


def test_rows_turn_past_as_the_clock_moves(page, client, front_desk, frozen_now):
    def past_rows():
        return len(re.findall('class="cal-past"', page()))

    # With 15 minutes' notice, the 09:00 row is past from 08:45:01 and the 09:15 row
    # from 09:00:01.
    frozen_now.move_to(datetime(2026, 3, 2, 8, 45, 1, tzinfo=UTC))
    client.force_login(front_desk)  # the morning's session has idled out
    assert past_rows() == 1
    frozen_now.move_to(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    assert past_rows() == 1
    frozen_now.shift(timedelta(seconds=1))
    assert past_rows() == 2


def test_the_grid_depends_on_the_clock_only_at_row_starts():
    zone = ZoneInfo("Europe/London")
    step = timedelta(minutes=15)
    day = date(2026, 3, 2)

    def moment(hour, minute, second=0):
        return slots.grid_moment(
            datetime(2026, 3, 2, hour, minute, second, tzinfo=UTC), day, zone, step
        )

    # A row is past once it has started: 10:00:01 to 10:15:00 is one grid.
    assert moment(10, 0, 1) == moment(10, 15) != moment(10, 15, 1)
    assert moment(10, 0) != moment(10, 0, 1)
    assert slots.grid_moment(TEN, date(2026, 3, 3), zone, step) == "ahead"
    assert slots.grid_moment(TEN, date(2026, 3, 1), zone, step) == "behind"
    # The night the clocks go back, the two 01:30s are two grids.
    autumn = date(2026, 10, 25)
    first = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 01:30 BST
    second = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 01:30 GMT
    assert slots.grid_moment(first, autumn, zone, step) != slots.grid_moment(
        second, autumn, zone, step
    )


def test_the_location_is_checked_without_a_query_and_a_change_shows_at_once(
    page, client, london, sam, settings
):
    """The calendar's locations and the practitioners' colours are kept in the
    process under the set-up's version (calendar_cache.set_up). A change moves the
    version on in the shared cache, so every process reads afresh at its next page:
    here, the same process after the signal, as another would be."""
    _, cached = served_from_cache(page)
    assert cached == 0

    sam.colour = "#123456"
    sam.save()
    assert "--practitioner-colour: #123456;" in page()

    london.name = "London <b>Soho</b>"
    london.save()
    shown = page()
    assert "London &lt;b&gt;Soho&lt;/b&gt;" in shown and "<b>Soho" not in shown

    london.is_active = False
    london.save()
    refused = page()
    assert "That calendar does not exist" in refused


def test_a_kept_location_is_a_copy_for_each_request(front_desk, london):
    first = selectors.calendar_locations_kept(front_desk)
    first[london.pk].name = "Changed by one request"
    assert selectors.calendar_locations_kept(front_desk)[london.pk].name == "London"


def test_a_setup_change_not_yet_committed_is_not_kept(front_desk, london):
    from django.db import transaction

    with transaction.atomic():
        Location.objects.create(name="Leeds", timezone="Europe/London")
        inside = selectors.calendar_locations_kept(front_desk)
        assert {location.name for location in inside.values()} == {"London", "Leeds"}
        transaction.set_rollback(True)
    after = selectors.calendar_locations_kept(front_desk)
    assert {location.name for location in after.values()} == {"London"}


def test_a_user_who_may_not_book_is_offered_no_location(client, london, db):
    from django.contrib.auth import get_user_model

    nobody = get_user_model().objects.create_user("nobody", password="x" * 16)
    assert selectors.calendar_locations_kept(nobody) == {}


@pytest.mark.parametrize("location", ["", "abc", "1.5", "99999999999999999999", "-1"])
def test_a_bad_location_falls_back_to_today_with_a_message(page, client, location):
    response = client.get("/calendar/", {"location": location, "date": DAY})
    assert response.status_code == 200
    assert "That calendar does not exist" in response.text


def test_a_change_behind_the_signals_back_shows_within_the_cache_seconds(
    page, london, monkeypatch, settings
):
    """A queryset update sends no signal, so the set-up's version stays; what the
    process keeps is read again after CALENDAR_CACHE_SECONDS all the same."""
    page()
    Location.objects.filter(pk=london.pk).update(is_active=False)
    assert "That calendar does not exist" not in page()

    later = calendar_cache.time.monotonic() + settings.CALENDAR_CACHE_SECONDS + 1
    monkeypatch.setattr(calendar_cache.time, "monotonic", lambda: later)
    assert "That calendar does not exist" in page()
