"""Recalls recur and stay true: dropped when the client has booked since, written
again by every completed touch-up, and each says how to book."""

from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from django.core import mail

from appointments import services as booking
from appointments.models import Service
from messaging.models import MessageKind, MessageStatus, OutboundMessage
from messaging.outbox import messages_send_due, plan_recalls_schedule
from treatments.models import PlanStatus

HOSTILE = '<b hx-get="/x" hx-trigger=load>"{{x}}\'</b>'


def at(day: date, zone, hour=9, minute=15) -> datetime:
    return datetime.combine(day, time(hour, minute), zone)


@pytest.fixture
def touch_up(db):
    return Service.objects.create(
        name="Touch-up",
        kind=Service.Kind.TOUCH_UP,
        duration_minutes=60,
        needs_room=False,
    )


@pytest.fixture
def fade_check(db):
    return Service.objects.create(
        name="Fade check",
        kind=Service.Kind.FADE_CHECK,
        duration_minutes=30,
        needs_room=False,
    )


def book(client, service, practitioner, starts_at, by):
    with time_machine.travel(starts_at - timedelta(days=7), tick=False):
        return booking.appointment_book(
            client=client,
            service=service,
            practitioner=practitioner,
            starts_at=starts_at,
            booked_by=by,
        )


def hold(appointment, by):
    with time_machine.travel(appointment.starts_at, tick=False):
        booking.appointment_check_in(appointment=appointment, by=by)
    with time_machine.travel(appointment.starts_at + timedelta(hours=1), tick=False):
        booking.appointment_complete(appointment=appointment, by=by)


def sweep(on: datetime):
    with time_machine.travel(on, tick=False):
        return messages_send_due()


@pytest.fixture
def completed_plan(make_plan, london):
    """A permanent course completed on 3 March 2026: its recalls are written."""
    plan = make_plan(variant="permanent")
    plan.status = PlanStatus.COMPLETED
    plan.save()
    with time_machine.travel(at(date(2026, 3, 3), london.zone, 12), tick=False):
        plan_recalls_schedule(plan=plan, location=london)
    return plan


def test_a_recall_is_dropped_when_the_client_booked_a_touch_up_since(
    completed_plan, jo, touch_up, sam, london, front_desk
):
    book(jo, touch_up, sam, at(date(2028, 10, 2), london.zone), front_desk)
    sweep(at(date(2029, 3, 4), london.zone, 12))
    recall = OutboundMessage.objects.get(plan=completed_plan, kind=MessageKind.TOUCH_UP)
    assert recall.status == MessageStatus.CANCELLED
    assert recall.last_error == "The client has booked since this recall was written."


def test_a_recall_with_no_booking_since_is_sent(completed_plan, jo, london):
    sweep(at(date(2027, 3, 4), london.zone, 12))
    check = OutboundMessage.objects.get(
        plan=completed_plan, kind=MessageKind.FADE_CHECK
    )
    assert check.status == MessageStatus.SENT


def test_an_earlier_fade_check_does_not_answer_the_next_fade_check_recall(
    make_plan, jo, fade_check, sam, london, front_desk
):
    plan = make_plan(variant="temporary")
    with time_machine.travel(at(date(2026, 3, 3), london.zone, 12), tick=False):
        plan_recalls_schedule(plan=plan, location=london)
    hold(
        book(jo, fade_check, sam, at(date(2026, 9, 7), london.zone), front_desk),
        front_desk,
    )
    sweep(at(date(2027, 3, 4), london.zone, 12))
    twelve = OutboundMessage.objects.get(dedupe_key=f"plan:{plan.pk}:fade_check:12m")
    assert twelve.status == MessageStatus.SENT


def test_a_completed_touch_up_without_a_plan_writes_the_next_touch_up(
    make_client, touch_up, sam, london, front_desk, treatment_ready
):
    client = treatment_ready(make_client())
    client.email = "c@x.test"
    client.save()
    appointment = book(
        client, touch_up, sam, at(date(2026, 3, 3), london.zone), front_desk
    )
    hold(appointment, front_desk)
    [recall] = OutboundMessage.objects.filter(client=client, kind=MessageKind.TOUCH_UP)
    assert recall.plan is None
    assert recall.due_at.date() == date(2029, 3, 3)


def test_a_completed_touch_up_of_temporary_smp_writes_the_fade_checks_again(
    completed_plan, jo, touch_up, sam, london, front_desk
):
    completed_plan.variant = "temporary"
    completed_plan.save()
    hold(
        book(jo, touch_up, sam, at(date(2027, 9, 6), london.zone), front_desk),
        front_desk,
    )
    written = OutboundMessage.objects.filter(
        client=jo, kind=MessageKind.FADE_CHECK, appointment__isnull=False
    )
    assert sorted(m.due_at.date() for m in written) == [
        date(2028, 3, 6),
        date(2028, 9, 6),
        date(2029, 3, 6),
    ]


def test_the_recall_says_how_to_book_with_the_locations_phone_and_address(
    jo, touch_up, sam, london, front_desk, settings
):
    settings.PHONE_DEFAULT_REGION = "GB"
    london.phone = "+442079460000"
    london.address = f"1 Soho Square {HOSTILE}\nLondon W1"
    london.save()
    hold(
        book(jo, touch_up, sam, at(date(2026, 3, 3), london.zone), front_desk),
        front_desk,
    )
    sweep(at(date(2029, 3, 4), london.zone, 12))
    [email] = [m for m in mail.outbox if "touch-up" in m.subject.lower()]
    assert "call London on 020 7946 0000" in email.body
    assert f"We are at 1 Soho Square {HOSTILE}" in email.body
    html = email.alternatives[0][0]
    assert "020 7946 0000" in html
    assert "<b hx-get" not in html


def test_a_clinic_abroad_shows_the_number_in_international_format(settings):
    from clients.phones import display_phone

    settings.PHONE_DEFAULT_REGION = "US"
    assert display_phone("+442079460000") == "+44 20 7946 0000"
    settings.PHONE_DEFAULT_REGION = "GB"
    assert display_phone("+442079460000") == "020 7946 0000"


def test_a_touch_up_with_a_session_record_outside_a_course_is_its_own_final_session(
    jo, touch_up, sam, london, front_desk
):
    from treatments.services import session_open

    appointment = book(jo, touch_up, sam, at(date(2026, 3, 3), london.zone), front_desk)
    with time_machine.travel(appointment.starts_at, tick=False):
        booking.appointment_check_in(appointment=appointment, by=front_desk)
        session_open(appointment=appointment)
    with time_machine.travel(appointment.starts_at + timedelta(hours=1), tick=False):
        booking.appointment_complete(appointment=appointment, by=front_desk)
    aftercare = OutboundMessage.objects.filter(
        appointment=appointment, kind=MessageKind.AFTERCARE
    ).select_related("aftercare_step")
    assert "final" in {m.aftercare_step.after for m in aftercare}
    assert OutboundMessage.objects.filter(
        client=jo, kind=MessageKind.TOUCH_UP, appointment=appointment
    ).exists()
