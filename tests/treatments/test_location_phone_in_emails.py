"""Emails that tell the client to call a location give its number (in the clinic's
national format), and say nothing of a number when the location has none."""

from datetime import date, datetime, time

import pytest

from messaging import outbox
from messaging.models import MessageKind, OutboundMessage
from messaging.outbox import build_email
from treatments import services

pytestmark = pytest.mark.usefixtures("frozen_now")


@pytest.fixture
def appointment(make_plan, london, front_desk):
    plan = make_plan()
    services.course_book(
        plan=plan,
        starts={1: datetime.combine(date(2026, 3, 10), time(9, 15), london.zone)},
        location=london,
        booked_by=front_desk,
    )
    return plan.sessions.get(number=1).appointment


def email_of(appointment, kind):
    if kind == MessageKind.AFTERCARE:
        outbox.appointment_aftercare_schedule(appointment=appointment)
    message = (
        OutboundMessage.objects.filter(appointment=appointment, kind=kind)
        .order_by("due_at")
        .first()
    )
    return build_email(message)


def test_aftercare_says_call_the_location_on_its_number(appointment, london, settings):
    settings.PHONE_DEFAULT_REGION = "GB"
    london.phone = "+442079460000"
    london.save()
    email = email_of(appointment, MessageKind.AFTERCARE)
    assert f"or call {london.name} on 020 7946 0000." in email.body
    html = email.alternatives[0][0]
    assert 'on <a href="tel:+442079460000">020 7946 0000</a>.' in html


def test_appointment_emails_give_the_number_beside_the_location(
    appointment, london, settings
):
    settings.PHONE_DEFAULT_REGION = "GB"
    london.phone = "+442079460000"
    london.save()
    email = email_of(appointment, MessageKind.REMINDER)
    assert f"{london.name}, 020 7946 0000" in email.body
    assert "020 7946 0000</a>" in email.alternatives[0][0]


def test_without_a_number_the_email_says_only_call_the_location(appointment, london):
    assert london.phone == ""
    email = email_of(appointment, MessageKind.AFTERCARE)
    assert f"or call {london.name}." in email.body
    assert "tel:" not in email.alternatives[0][0]
