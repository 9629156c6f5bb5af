"""Session records: lots in date only, the healing check, and the lot recall trail."""

from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError

from appointments import services as booking
from messaging.outbox import messages_send_due
from pigments.models import PigmentLot
from treatments import selectors, services

pytestmark = pytest.mark.usefixtures("frozen_now")

DAY = date(2026, 3, 3)


@pytest.fixture
def course(make_plan, london, front_desk):
    """A booked three-session course; yields (plan, starts)."""
    plan = make_plan()
    starts = {
        n: datetime.combine(
            DAY + timedelta(days=10 * (n - 1)), time(9, 15), london.zone
        )
        for n in (1, 2, 3)
    }
    services.course_book(
        plan=plan, starts=starts, location=london, booked_by=front_desk
    )
    return plan, starts


def hold(plan, starts, number, front_desk):
    session = plan.sessions.get(number=number)
    with time_machine.travel(starts[number], tick=False):
        booking.appointment_check_in(appointment=session.appointment, by=front_desk)
    return session


def record(session, lots, by, **fields):
    return services.session_record(
        session=session,
        zones=fields.pop("zones", {"frontal_hairline": "light", "crown": "medium"}),
        pigments=[(lot, "50% distilled water") for lot in lots],
        by=by,
        needle=fields.pop("needle", "3rl"),
        **fields,
    )


def test_a_session_is_recorded_with_its_lots_and_the_licence_number(
    course, lot, front_desk, practitioner
):
    plan, starts = course
    session = record(hold(plan, starts, 1, front_desk), [lot], practitioner)
    assert session.zones == {"frontal_hairline": "light", "crown": "medium"}
    assert session.needle == "3RL"
    assert session.licence_number == "BA-1"
    assert [(p.lot, p.dilution) for p in session.pigments.all()] == [
        (lot, "50% distilled water")
    ]


def test_an_expired_lot_is_refused_and_nothing_is_recorded(
    course, lot, expired_lot, front_desk, practitioner
):
    plan, starts = course
    session = hold(plan, starts, 1, front_desk)
    with pytest.raises(
        ValidationError, match=r"cannot be used: .*OLD-1 \(expired 31 Jan 2026\)"
    ):
        record(session, [lot, expired_lot], practitioner)
    session.refresh_from_db()
    assert not session.is_recorded
    assert not session.pigments.exists()


def test_a_session_is_not_recorded_before_the_client_arrives(course, lot, practitioner):
    plan, _ = course
    with pytest.raises(ValidationError, match="checked in"):
        record(plan.sessions.get(number=1), [lot], practitioner)


def test_the_needle_is_written_as_practitioners_write_it_and_a_zone_is_needed(
    course, lot, front_desk, practitioner
):
    plan, starts = course
    session = hold(plan, starts, 1, front_desk)
    assert record(session, [lot], practitioner, needle="1RL 0.30").needle == "1RL 0.30"
    with pytest.raises(ValidationError, match="at least one zone"):
        record(session, [lot], practitioner, zones={"crown": ""})


def test_the_next_session_waits_for_the_healing_check(
    course, lot, front_desk, practitioner
):
    plan, starts = course
    first = record(hold(plan, starts, 1, front_desk), [lot], practitioner)
    second = hold(plan, starts, 2, front_desk)
    with pytest.raises(ValidationError, match="session 1 has healed"):
        record(second, [lot], practitioner)
    with pytest.raises(ValidationError, match="Say what has not healed"):
        services.session_healing_record(
            session=first, healing="flagged", note="", by=practitioner
        )
    services.session_healing_record(
        session=first, healing="flagged", note="Scabs at the crown", by=practitioner
    )
    assert record(second, [lot], practitioner).is_recorded


def test_the_recall_lists_exactly_the_sessions_that_used_the_lot(
    course, lot, pigment, front_desk, practitioner, django_assert_num_queries
):
    plan, starts = course
    other = PigmentLot.objects.create(
        pigment=pigment, lot_number="L26002B", expires_on=date(2030, 1, 1)
    )
    first = record(hold(plan, starts, 1, front_desk), [lot, other], practitioner)
    services.session_healing_record(
        session=first, healing="healed", note="", by=practitioner
    )
    record(hold(plan, starts, 2, front_desk), [other], practitioner)

    with django_assert_num_queries(1):
        used = [
            (u.session.number, u.session.client.last_name)
            for u in selectors.lot_recall(lot)
        ]
    assert used == [(1, "Bloggs")]
    assert [u.session.number for u in selectors.lot_recall(other)] == [1, 2]


def test_the_ink_passport_lists_every_lot_with_its_label_data(
    course, lot, front_desk, practitioner, jo, mailoutbox
):
    plan, starts = course
    record(hold(plan, starts, 1, front_desk), [lot], practitioner)
    message = services.ink_passport_send(client=jo)
    messages_send_due()
    message.refresh_from_db()
    assert message.status == "sent"
    (email,) = [m for m in mailoutbox if m.subject.startswith("Your ink passport")]
    assert "Perma Blend SMP Dark, lot L26001A" in email.body
    assert "Carbon black (CI 77266)" in email.body
    html = email.alternatives[0][0]
    assert "L26001A" in html
    assert "Do not use on broken skin." in html
