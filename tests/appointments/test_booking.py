"""Booking services: the rules a front desk meets, and overlaps made impossible."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, connections

from appointments import services
from appointments.models import Appointment, Closure, TimeOff
from tests.conftest import make_treatment_ready

# Monday 2 March 2026; London is on GMT, so wall time equals UTC.
TEN = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
# A two-hour SMP session with 15-minute buffers fits 09:00-12:00 from 09:15.
SMP_AT = datetime(2026, 3, 2, 9, 15, tzinfo=UTC)


def book(client, service, practitioner, at, by, **kwargs):
    return services.appointment_book(
        client=client,
        service=service,
        practitioner=practitioner,
        starts_at=at,
        booked_by=by,
        **kwargs,
    )


@pytest.fixture
def desk(front_desk):
    return front_desk


# These tests are about time and rooms: every client passes the gates before
# treatment (tests/appointments/test_treatment_gates.py is about those).
@pytest.fixture
def jo(jo, practitioner):
    return make_treatment_ready(jo, by=practitioner)


@pytest.fixture
def make_client(make_client, practitioner):
    def make():
        return make_treatment_ready(make_client(), by=practitioner)

    return make


pytestmark = pytest.mark.usefixtures("frozen_now", "rooms")


def test_a_free_slot_is_booked_with_its_buffers_and_a_room(jo, smp_session, sam, desk):
    appointment = book(jo, smp_session, sam, SMP_AT, desk)

    assert appointment.status == Appointment.Status.BOOKED
    assert appointment.ends_at == SMP_AT + timedelta(hours=2)
    assert appointment.busy_starts_at == SMP_AT - timedelta(minutes=15)
    assert appointment.busy_ends_at == SMP_AT + timedelta(hours=2, minutes=15)
    assert appointment.room.name == "Room 1"
    assert appointment.location.name == "London"


def test_an_overlap_is_refused_naming_what_is_in_the_way(
    jo, make_client, consultation, sam, desk
):
    book(jo, consultation, sam, TEN, desk)

    with pytest.raises(services.BookingConflict) as caught:
        book(make_client(), consultation, sam, TEN + timedelta(minutes=15), desk)

    assert "Sam Okafor has Consultation with Jo Bloggs Mon 02 Mar 10:00–10:30" in (
        caught.value.message
    )
    assert caught.value.next_slots[0].start == TEN + timedelta(minutes=30)
    assert Appointment.objects.count() == 1


def test_buffers_count_as_busy(jo, make_client, smp_session, consultation, sam, desk):
    book(jo, smp_session, sam, SMP_AT, desk)  # holds 09:00-11:30

    with pytest.raises(services.BookingConflict):
        book(make_client(), consultation, sam, TEN.replace(hour=11), desk)
    assert book(make_client(), consultation, sam, TEN.replace(hour=11, minute=30), desk)


def test_the_same_room_is_never_given_twice(
    jo, make_client, smp_session, sam, alex, make_practitioner, desk
):
    third = make_practitioner("Kim")
    first = book(jo, smp_session, sam, SMP_AT, desk)
    second = book(make_client(), smp_session, alex, SMP_AT, desk)

    assert {first.room_id, second.room_id} == {r.pk for r in first.location.rooms.all()}
    with pytest.raises(services.BookingConflict, match="Every room"):
        book(make_client(), smp_session, third, SMP_AT, desk)


def test_a_chosen_room_that_is_taken_is_a_conflict(
    jo, make_client, smp_session, sam, alex, rooms, desk
):
    book(jo, smp_session, sam, SMP_AT, desk, room=rooms[0])

    with pytest.raises(services.BookingConflict, match="in Room 1"):
        book(make_client(), smp_session, alex, SMP_AT, desk, room=rooms[0])


@pytest.mark.parametrize(
    ("at", "message"),
    [
        (TEN.replace(hour=12, minute=15), "outside working hours or a break"),
        (TEN.replace(hour=20), "outside working hours"),
        (TEN - timedelta(days=1), "passed or is too soon"),
        (datetime(2026, 3, 2, 10, 0), "time zone offset"),  # noqa: DTZ001
    ],
)
def test_times_that_cannot_be_booked_are_refused_with_a_reason(
    jo, consultation, sam, desk, at, message
):
    with pytest.raises(services.BookingError, match=message):
        book(jo, consultation, sam, at, desk)
    assert not Appointment.objects.exists()


def test_closures_and_time_off_are_refused(jo, consultation, sam, london, desk):
    Closure.objects.create(location=london, date=TEN.date(), name="Bank holiday")
    with pytest.raises(services.BookingError, match="closed that day"):
        book(jo, consultation, sam, TEN, desk)

    Closure.objects.all().delete()
    TimeOff.objects.create(
        practitioner=sam, starts_at=TEN, ends_at=TEN + timedelta(hours=1)
    )
    with pytest.raises(services.BookingError, match="off at that time"):
        book(jo, consultation, sam, TEN, desk)


def test_only_a_manager_may_book_an_overlap_and_it_is_recorded(
    jo, make_client, consultation, sam, desk, manager
):
    book(jo, consultation, sam, TEN, desk)

    with pytest.raises(services.BookingError, match="Only a manager"):
        book(make_client(), consultation, sam, TEN, desk, overlap_reason="squeeze in")
    forced = book(make_client(), consultation, sam, TEN, manager, overlap_reason="VIP")

    assert forced.overlap_approved_by == manager
    assert forced.overlap_reason == "VIP"


def test_cancelling_needs_a_reason_and_frees_the_time(
    jo, make_client, consultation, sam, desk
):
    appointment = book(jo, consultation, sam, TEN, desk)

    with pytest.raises(services.BookingError, match="reason"):
        services.appointment_cancel(appointment=appointment, reason="  ", by=desk)
    services.appointment_cancel(appointment=appointment, reason="Client ill", by=desk)

    assert book(make_client(), consultation, sam, TEN, desk)


def test_rescheduling_moves_the_appointment_and_checks_the_new_time(
    jo, make_client, consultation, sam, desk
):
    appointment = book(jo, consultation, sam, TEN, desk)
    book(make_client(), consultation, sam, TEN + timedelta(hours=1), desk)

    moved = services.appointment_reschedule(
        appointment=appointment, starts_at=TEN + timedelta(minutes=15), by=desk
    )
    with pytest.raises(services.BookingConflict):
        services.appointment_reschedule(
            appointment=appointment, starts_at=TEN + timedelta(hours=1), by=desk
        )

    assert moved.starts_at == TEN + timedelta(minutes=15)
    appointment.refresh_from_db()
    assert appointment.starts_at == TEN + timedelta(minutes=15)


def test_the_status_workflow_allows_only_its_moves(
    jo, consultation, sam, desk, frozen_now
):
    appointment = book(jo, consultation, sam, TEN, desk)

    with pytest.raises(services.BookingError, match="cannot be marked completed"):
        services.appointment_complete(appointment=appointment, by=desk)
    with pytest.raises(services.BookingError, match="once it has started"):
        services.appointment_mark_no_show(appointment=appointment, by=desk)
    services.appointment_confirm(appointment=appointment)
    services.appointment_check_in(appointment=appointment, by=desk)
    frozen_now.move_to(TEN)
    done = services.appointment_complete(appointment=appointment, by=desk)

    assert done.status == Appointment.Status.COMPLETED
    with pytest.raises(services.BookingError):
        services.appointment_cancel(appointment=done, reason="late", by=desk)


def overlapping_pairs() -> int:
    """Blocking appointments overlapping another for the same practitioner or room."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FROM appointments_appointment a
            JOIN appointments_appointment b ON a.id < b.id
             AND (a.practitioner_id = b.practitioner_id OR a.room_id = b.room_id)
             AND a.busy_starts_at < b.busy_ends_at AND b.busy_starts_at < a.busy_ends_at
            WHERE a.status IN ('booked', 'confirmed', 'checked_in', 'completed')
              AND b.status IN ('booked', 'confirmed', 'checked_in', 'completed')
            """
        )
        return cursor.fetchone()[0]


def race(attempts) -> list[str]:
    """Run booking attempts at once, one thread and connection each."""
    barrier = threading.Barrier(len(attempts))
    outcomes: list[str] = []

    def run(attempt):
        try:
            barrier.wait()
            attempt()
            outcomes.append("booked")
        except services.BookingError:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(a,)) for a in attempts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def concurrency_rounds(jo, smp_session, consultation, sam, alex, rooms, desk):
    def attempt(service, practitioner, at, **kwargs):
        return lambda: book(jo, service, practitioner, at, desk, **kwargs)

    # Round 1: 50 bookings of the same slot.
    same = race([attempt(consultation, sam, TEN) for _ in range(50)])
    # Round 2: 50 partly overlapping slots (5-minute offsets of a 30-minute service).
    at = TEN.replace(hour=14)
    partial = race(
        [
            attempt(consultation, sam, at + timedelta(minutes=5 * (n % 6)))
            for n in range(50)
        ]
    )
    # Round 3: one room, two practitioners, 50 attempts.
    afternoon = TEN.replace(hour=13, minute=15)
    room = race(
        [
            attempt(smp_session, (sam, alex)[n % 2], afternoon, room=rooms[0])
            for n in range(50)
        ]
    )
    return same, partial, room


def assert_one_winner_each(rounds):
    for outcomes in rounds:
        assert len(outcomes) == 50
        assert outcomes.count("booked") == 1, outcomes.count("booked")
    assert overlapping_pairs() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_threads_on_postgresql_end_with_one_booking_each_round(
    jo, smp_session, consultation, sam, alex, rooms, desk
):
    assert_one_winner_each(
        concurrency_rounds(jo, smp_session, consultation, sam, alex, rooms, desk)
    )


@pytest.mark.django_db(transaction=True)
def test_fifty_threads_on_a_sqlite_file_end_with_one_booking_each_round(
    jo, smp_session, consultation, sam, alex, rooms, desk
):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite variant runs on the embedded default database")
    assert_one_winner_each(
        concurrency_rounds(jo, smp_session, consultation, sam, alex, rooms, desk)
    )


@pytest.mark.postgres
def test_postgresql_refuses_an_overlap_that_skips_the_service(
    jo, make_client, consultation, sam, desk
):
    from django.db import IntegrityError, transaction

    first = book(jo, consultation, sam, TEN, desk)
    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.create(
            client=make_client(),
            service=consultation,
            practitioner=sam,
            location=first.location,
            starts_at=TEN,
            ends_at=first.ends_at,
            busy_starts_at=TEN,
            busy_ends_at=first.ends_at,
            source="api",
        )


def test_a_closure_and_time_off_together_name_the_closure(
    jo, consultation, sam, london, desk
):
    """Both are read in one query now: the closure is still the reason given."""
    TimeOff.objects.create(
        practitioner=sam, starts_at=TEN, ends_at=TEN + timedelta(hours=1)
    )
    Closure.objects.create(location=None, date=TEN.date(), name="Clinic <b>away</b>")
    with pytest.raises(
        services.BookingError, match=r"closed that day \(Clinic <b>away</b>\)"
    ):
        book(jo, consultation, sam, TEN, desk)
    assert not Appointment.objects.exists()


def test_time_off_over_a_booked_time_is_the_reason_given_not_the_overlap(
    jo, make_client, consultation, sam, desk
):
    """Time off, closures and what overlaps are read in one query: a time both off
    and taken is refused as time off (a 422, not a conflict), as before."""
    book(make_client(), consultation, sam, TEN, desk)
    TimeOff.objects.create(
        practitioner=sam, starts_at=TEN, ends_at=TEN + timedelta(hours=1)
    )
    with pytest.raises(services.BookingError, match="is off at that time"):
        try:
            book(jo, consultation, sam, TEN, desk)
        except services.BookingConflict as conflict:
            pytest.fail(f"refused as a conflict: {conflict.message}")
    assert Appointment.objects.count() == 1


def test_a_reschedule_onto_a_taken_time_is_a_conflict_but_its_own_time_is_not(
    jo, make_client, consultation, sam, desk
):
    other = book(make_client(), consultation, sam, TEN, desk)
    mine = book(jo, consultation, sam, TEN + timedelta(hours=1), desk)

    moved = services.appointment_reschedule(
        appointment=mine, starts_at=TEN + timedelta(minutes=75), by=desk
    )
    with pytest.raises(services.BookingConflict) as refused:
        services.appointment_reschedule(appointment=mine, starts_at=TEN, by=desk)

    assert moved.starts_at == TEN + timedelta(minutes=75)
    assert [a.pk for a in refused.value.conflicts] == [other.pk]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_insert_the_constraint_refuses_is_a_conflict_naming_what_took_the_time(
    jo, make_client, consultation, sam, desk, monkeypatch
):
    """As when another booking commits between the check and the insert (made here
    by a check that misses): PostgreSQL's exclusion constraint refuses the insert, the
    booking's transaction is rolled back and what took the time is read afterwards,
    booked on its own or inside a caller's transaction, which stays usable."""
    from django.db import transaction

    first = book(make_client(), consultation, sam, TEN, desk)
    monkeypatch.setattr(services, "_check_schedule", lambda *args, **kwargs: False)

    with pytest.raises(services.BookingConflict) as alone:
        book(jo, consultation, sam, TEN, desk)
    with transaction.atomic():
        with pytest.raises(services.BookingConflict) as inside:
            book(jo, consultation, sam, TEN, desk)
        later = book(jo, consultation, sam, TEN + timedelta(hours=1), desk)

    assert [a.pk for a in alone.value.conflicts] == [first.pk]
    assert [a.pk for a in inside.value.conflicts] == [first.pk]
    assert list(Appointment.objects.filter(client=jo)) == [later]
