"""The busy time behind free times (selectors.schedule_with_busy_time, hand-written
SQL since issue 25): each kind of busy time takes exactly the starts it overlaps,
held time and buffers included, and nothing else; what does not hold time (a
cancellation, another practitioner's appointment without a room, the appointment
being moved) takes nothing."""

from datetime import UTC, date, datetime, timedelta

import pytest

from appointments import selectors, services
from appointments.models import Appointment, Closure, Location

pytestmark = pytest.mark.usefixtures("frozen_now")

DAY = date(2026, 3, 2)  # the tests' Monday; London is on GMT, wall times equal UTC
TEN = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
# Two hours with 15 minutes either side: held 09:00 to 11:30, in the morning block.
SESSION = datetime(2026, 3, 2, 9, 15, tzinfo=UTC)


def free(service, **kwargs) -> list[datetime]:
    found = selectors.availability(service=service, first_day=DAY, days=1, **kwargs)
    return [slot.start for slot in found.slots]


def overlapping(service, starts: list[datetime], start, end) -> set[datetime]:
    """The starts whose held time (buffers included) overlaps start..end."""
    span = selectors.service_span(service)
    return {
        at for at in starts if span.busy(at).start < end and span.busy(at).end > start
    }


def held(service, practitioner, client, starts_at, *, room=None, status="booked"):
    """An appointment written as the booking service writes one, without its gates
    (an SMP session's are not what is tested here)."""
    span = selectors.service_span(service)
    busy = span.busy(starts_at)
    return Appointment.objects.create(
        client=client,
        service=service,
        practitioner=practitioner,
        location=practitioner.locations.get(),
        room=room,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=service.duration_minutes),
        busy_starts_at=busy.start,
        busy_ends_at=busy.end,
        status=status,
        held_until=starts_at if status == "awaiting_deposit" else None,
        cancellation_reason="Unwell" if status == "cancelled" else "",
        source=Appointment.Source.FRONT_DESK,
    )


def test_time_off_takes_exactly_the_starts_it_overlaps(consultation, sam, alex):
    before = free(consultation, practitioner_id=sam.pk)
    off_from, off_to = TEN, TEN + timedelta(minutes=50)
    services.time_off_add(
        practitioner=sam, starts_at=off_from, ends_at=off_to, reason="Dentist"
    )

    after = free(consultation, practitioner_id=sam.pk)
    taken = overlapping(consultation, before, off_from, off_to)
    assert taken and set(after) == set(before) - taken
    # Another practitioner's day is untouched.
    assert free(consultation, practitioner_id=alex.pk) == before


@pytest.mark.parametrize(
    "status", ["awaiting_deposit", "booked", "confirmed", "checked_in"]
)
def test_an_appointment_takes_its_held_time_with_its_buffers(
    smp_session, consultation, sam, jo, rooms, status
):
    before = free(consultation, practitioner_id=sam.pk)
    booked = held(smp_session, sam, jo, TEN, room=rooms[0], status=status)

    after = free(consultation, practitioner_id=sam.pk)
    taken = overlapping(
        consultation, before, booked.busy_starts_at, booked.busy_ends_at
    )
    assert set(after) == set(before) - taken
    # The buffers count: 09:45 to 12:15 for a two-hour session at ten.
    assert datetime(2026, 3, 2, 9, 30, tzinfo=UTC) in taken


@pytest.mark.parametrize("status", ["cancelled", "no_show"])
def test_what_holds_no_time_takes_nothing(consultation, sam, jo, status):
    before = free(consultation, practitioner_id=sam.pk)
    held(consultation, sam, jo, TEN, status=status)
    assert free(consultation, practitioner_id=sam.pk) == before


def test_the_appointment_being_moved_does_not_hold_its_own_time(
    consultation, sam, jo, make_client
):
    before = free(consultation, practitioner_id=sam.pk)
    moving = held(consultation, sam, jo, TEN)
    other = held(consultation, sam, make_client(), TEN + timedelta(hours=2))

    moved = free(consultation, practitioner_id=sam.pk, exclude_appointment_id=moving.pk)
    assert TEN in moved
    assert set(moved) == set(before) - overlapping(
        consultation, before, other.busy_starts_at, other.busy_ends_at
    )


def test_a_room_taken_by_another_practitioner_is_busy_for_a_service_needing_one(
    smp_session, sam, alex, jo, make_client, make_practitioner, rooms
):
    before = free(smp_session, practitioner_id=sam.pk)
    assert SESSION in before
    held(smp_session, alex, jo, SESSION, room=rooms[0])
    assert SESSION in free(
        smp_session, practitioner_id=sam.pk
    )  # the other room is free

    kim = make_practitioner("Kim")
    held(smp_session, kim, make_client(), SESSION, room=rooms[1])
    after = free(smp_session, practitioner_id=sam.pk)
    assert SESSION not in after and after


def test_another_practitioners_appointment_without_a_room_takes_nothing(
    consultation, sam, alex, jo
):
    before = free(consultation, practitioner_id=sam.pk)
    held(consultation, alex, jo, TEN)
    assert free(consultation, practitioner_id=sam.pk) == before
    assert TEN not in free(consultation, practitioner_id=alex.pk)


def test_an_appointment_long_before_the_day_takes_nothing(consultation, sam, jo):
    before = free(consultation, practitioner_id=sam.pk)
    held(consultation, sam, jo, TEN - timedelta(days=1))
    assert free(consultation, practitioner_id=sam.pk) == before


# The booking's own check (services._check_schedule, hand-written SQL since issue
# 25): each row below lets a booking through or stops it, and only for its reason.


def book(consultation, practitioner, jo, starts_at=TEN):
    return services.appointment_book(
        client=jo,
        service=consultation,
        practitioner=practitioner,
        starts_at=starts_at,
        booked_by=None,
    )


@pytest.mark.parametrize(
    ("where", "day", "refused"),
    [
        ("here", DAY, True),
        ("everywhere", DAY, True),
        ("elsewhere", DAY, False),
        ("here", DAY + timedelta(days=1), False),
    ],
)
def test_a_closure_stops_a_booking_only_on_its_day_and_where_it_applies(
    consultation, sam, jo, london, where, day, refused
):
    leeds = Location.objects.create(name="Leeds", timezone="Europe/London")
    location = {"here": london, "everywhere": None, "elsewhere": leeds}[where]
    Closure.objects.create(location=location, date=day, name="Floods")

    if refused:
        with pytest.raises(services.BookingError, match="closed that day"):
            book(consultation, sam, jo)
        assert not Appointment.objects.exists()
    else:
        assert book(consultation, sam, jo).starts_at == TEN


@pytest.mark.parametrize(
    ("whose", "ends", "refused"),
    [
        ("mine", TEN + timedelta(minutes=1), True),
        ("mine", TEN, False),  # over as the appointment starts
        ("theirs", TEN + timedelta(hours=1), False),
    ],
)
def test_time_off_stops_a_booking_only_for_its_practitioner_and_its_time(
    consultation, sam, alex, jo, whose, ends, refused
):
    services.time_off_add(
        practitioner=sam if whose == "mine" else alex,
        starts_at=TEN - timedelta(hours=1),
        ends_at=ends,
        reason="Dentist",
    )

    if refused:
        with pytest.raises(services.BookingError, match="is off at that time"):
            book(consultation, sam, jo)
    else:
        assert book(consultation, sam, jo).starts_at == TEN
