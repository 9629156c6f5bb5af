# ruff: noqa: F811 (the treatments tests' fixtures, imported)
"""A client in a course sees their plan with the next session due, the aftercare of
their last session, and the pigment lots used on them."""

from datetime import date, datetime, time, timedelta

import time_machine

from appointments import services as booking
from messaging.outbox import messages_send_due
from tests.portal.conftest import sign_in_as
from tests.treatments.conftest import jo, lot, make_plan, pigment, sam  # noqa: F401
from treatments import services

DAY_0 = date(2026, 3, 3)


def at(day: int, hour: int, zone, minute: int = 0) -> datetime:
    return datetime.combine(DAY_0 + timedelta(days=day), time(hour, minute), zone)


def first_session_done(plan, location, front_desk, practitioner, lot):
    zone = location.zone
    with time_machine.travel(at(-14, 9, zone), tick=False):
        services.course_book(
            plan=plan,
            starts={1: at(0, 9, zone, 15)},
            location=location,
            booked_by=front_desk,
        )
    session = plan.sessions.get(number=1)
    with time_machine.travel(at(0, 9, zone, 10), tick=False):
        booking.appointment_check_in(appointment=session.appointment, by=front_desk)
    with time_machine.travel(at(0, 11, zone), tick=False):
        services.session_record(
            session=session,
            zones={"crown": "light"},
            pigments=[(lot, "1:1")],
            by=practitioner,
            needle="1RL",
        )
        booking.appointment_complete(appointment=session.appointment, by=front_desk)
    with time_machine.travel(at(0, 12, zone), tick=False):
        messages_send_due()
    return session


def test_the_plan_says_when_the_next_session_is_due(
    client,
    jo,
    make_plan,
    london,
    front_desk,
    practitioner,
    lot,
):
    plan = make_plan()
    first_session_done(plan, london, front_desk, practitioner, lot)
    sign_in_as(client, jo)

    with time_machine.travel(at(1, 9, london.zone)):
        home = client.get("/my/").text
        page = client.get("/my/plan/").text

    assert "1 of 3 sessions done" in home
    assert "due between 13 March and 17 March 2026" in home
    assert "due between 13 March and 17 March 2026" in page
    assert "Done" in page and "To book" in page


def test_the_aftercare_of_the_last_session_is_shown_sent_and_to_come(
    client,
    jo,
    make_plan,
    london,
    front_desk,
    practitioner,
    lot,
):
    plan = make_plan()
    first_session_done(plan, london, front_desk, practitioner, lot)
    sign_in_as(client, jo)

    with time_machine.travel(at(1, 9, london.zone)):
        page = client.get("/my/aftercare/").text

    assert "Tuesday 3 March 2026" in page
    assert "Looking after" in page
    assert "wash" in page.lower()
    assert "Coming by email on" in page


def test_the_ink_passport_lists_the_lot_used(
    client,
    jo,
    make_plan,
    london,
    front_desk,
    practitioner,
    lot,
):
    plan = make_plan()
    first_session_done(plan, london, front_desk, practitioner, lot)
    sign_in_as(client, jo)

    with time_machine.travel(at(1, 9, london.zone)):
        page = client.get("/my/ink-passport/").text

    assert "L26001A" in page
    assert "Perma Blend" in page
    assert "1:1" in page
