"""A closure, time off or new working hours over booked appointments: the change is
saved, and the appointments it left outside are listed at once, each with the way to
move it."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from appointments import services, slots
from appointments.models import Closure, TimeOff, WorkingHours
from appointments.selectors import appointments_to_move

pytestmark = pytest.mark.usefixtures("frozen_now")

TUESDAY = "2026-03-03"  # London on GMT: wall times equal UTC.


def at(hour, minute=0, day=3):
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def book(front_desk, consultation):
    def make(practitioner, client, start):
        return services.appointment_book(
            client=client,
            service=consultation,
            practitioner=practitioner,
            starts_at=start,
            booked_by=front_desk,
        )

    return make


@pytest.fixture
def hostile(jo):
    jo.first_name = '<script>alert("x")</script>'
    jo.save()
    return jo


def test_time_off_over_a_booking_lists_it_with_a_link_to_move_it(
    client, manager, sam, hostile, make_client, book
):
    inside = book(sam, hostile, at(10))
    after = book(sam, make_client(), at(15))
    client.force_login(manager)
    response = client.post(
        f"/setup/practitioners/{sam.pk}/time-off/",
        {
            "location": sam.locations.get().pk,
            "date": TUESDAY,
            "time": "09:30",
            "end_date": TUESDAY,
            "end_time": "12:00",
            "reason": "Dentist",
        },
        follow=True,
    )
    page = response.text
    assert TimeOff.objects.filter(practitioner=sam).count() == 1
    assert "1 booked appointment now falls outside working hours" in page
    assert "Appointments to move (1)" in page
    assert f'href="/appointments/{inside.pk}/reschedule/"' in page
    assert "time off (Dentist)" in page
    assert f"/appointments/{after.pk}/reschedule/" not in page
    assert '<script>alert("x")' not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


def test_a_closure_over_booked_days_lists_them_on_the_closures_page(
    client, manager, london, sam, jo, make_client, book
):
    closed = book(sam, jo, at(10))
    other_day = book(sam, make_client(), at(10, day=4))
    client.force_login(manager)
    response = client.post(
        "/setup/closures/new/",
        {"date": TUESDAY, "name": "Staff training", "location": london.pk},
        follow=True,
    )
    page = response.text
    assert Closure.objects.count() == 1
    assert "1 booked appointment now falls" in page
    assert "the location is closed that day (Staff training)" in page
    assert f"/appointments/{closed.pk}/reschedule/" in page
    assert f"/appointments/{other_day.pk}/reschedule/" not in page


def test_working_hours_changed_under_a_booking_list_it(
    client, manager, london, sam, jo, book
):
    morning = book(sam, jo, at(10))
    client.force_login(manager)
    prefix = "working_hours"
    existing = list(WorkingHours.objects.filter(practitioner=sam).order_by("pk"))
    data = {
        f"{prefix}-TOTAL_FORMS": len(existing),
        f"{prefix}-INITIAL_FORMS": len(existing),
        f"{prefix}-MIN_NUM_FORMS": 0,
        f"{prefix}-MAX_NUM_FORMS": 1000,
    }
    for n, block in enumerate(existing):
        # Tuesday's morning block now starts at 11:00; the rest stays as it was.
        late = block.weekday == 1 and block.start_time.hour == 9
        data.update(
            {
                f"{prefix}-{n}-id": block.pk,
                f"{prefix}-{n}-practitioner": sam.pk,
                f"{prefix}-{n}-location": london.pk,
                f"{prefix}-{n}-weekday": block.weekday,
                f"{prefix}-{n}-start_time": "11:00"
                if late
                else f"{block.start_time:%H:%M}",
                f"{prefix}-{n}-end_time": f"{block.end_time:%H:%M}",
            }
        )
    response = client.post(f"/setup/practitioners/{sam.pk}/hours/", data, follow=True)
    assert response.status_code == 200
    assert WorkingHours.objects.filter(practitioner=sam, weekday=1).first()
    page = response.text
    assert "Appointments to move (1)" in page
    assert "outside working hours." in page
    assert f"/appointments/{morning.pk}/reschedule/" in page


def test_with_nothing_to_move_the_page_shows_no_list(client, manager, sam, jo, book):
    book(sam, jo, at(10))
    client.force_login(manager)
    page = client.get(f"/setup/practitioners/{sam.pk}/").text
    assert "Appointments to move" not in page


def test_cancelled_past_and_approved_outside_hours_bookings_are_not_listed(
    manager, sam, jo, make_client, book, frozen_now
):
    cancelled = book(sam, jo, at(10))
    services.appointment_cancel(appointment=cancelled, reason="Ill", by=manager)
    earlier = book(sam, make_client(), at(9, day=2))
    approved = services.appointment_book(
        client=make_client(),
        service=cancelled.service,
        practitioner=sam,
        starts_at=at(12, 15),  # In Sam's lunch break, placed on purpose.
        booked_by=manager,
        overlap_reason="Only time the client can come",
    )
    assert approved.overlap_approved_by == manager
    TimeOff.objects.create(practitioner=sam, starts_at=at(0), ends_at=at(11))
    frozen_now.move_to(at(9, 30, day=2))
    assert earlier.starts_at < at(9, 30, day=2)
    assert appointments_to_move() == []


def test_the_query_count_does_not_grow_with_the_appointments(
    sam, alex, make_client, book
):
    for hour in (9, 10, 11):
        book(sam, make_client(), at(hour))
        book(alex, make_client(), at(hour))
    TimeOff.objects.create(practitioner=sam, starts_at=at(9), ends_at=at(17))
    with CaptureQueriesContext(connection) as queries:
        found = appointments_to_move()
    assert len(found) == 3
    assert {item.appointment.practitioner_id for item in found} == {sam.pk}
    assert len(queries) == 4


def test_why_outside_hours_names_the_first_cause():
    held = slots.Interval(at(10), at(10, 30))
    working = [slots.Interval(at(9), at(12))]
    assert (
        slots.why_outside_hours(held=held, working=working, time_off=[], closure=None)
        is None
    )
    assert slots.why_outside_hours(
        held=held, working=working, time_off=[], closure="Bank holiday"
    ) == ("the location is closed that day (Bank holiday)")
    touching = [(slots.Interval(at(10, 30), at(11)), "")]
    over = [(slots.Interval(at(10, 15), at(11)), "")]
    assert (
        slots.why_outside_hours(
            held=held, working=working, time_off=touching, closure=None
        )
        is None
    )
    assert (
        slots.why_outside_hours(held=held, working=working, time_off=over, closure=None)
        == "time off"
    )
    lunch = [slots.Interval(at(9), at(10, 15))]
    assert (
        slots.why_outside_hours(held=held, working=lunch, time_off=[], closure=None)
        == "outside working hours"
    )
    assert (
        slots.why_outside_hours(
            held=held, working=lunch, time_off=[], closure=None, check_hours=False
        )
        is None
    )


def test_the_front_desk_dashboard_lists_the_next_weeks_appointments_to_move(
    client, front_desk, sam, jo, make_client, book
):
    soon = book(sam, jo, at(10))
    later = book(sam, make_client(), at(10) + timedelta(weeks=9))
    TimeOff.objects.create(practitioner=sam, starts_at=at(0), ends_at=at(11))
    # Unnamed (made outside the form): still a closure.
    Closure.objects.create(location=sam.locations.get(), date=later.starts_at.date())
    client.force_login(front_desk)
    page = client.get("/").text
    assert "Appointments to move (1) in the next 8 weeks" in page
    assert f"/appointments/{soon.pk}/reschedule/" in page
    assert f"/appointments/{later.pk}/reschedule/" not in page
    assert len(appointments_to_move()) == 2
