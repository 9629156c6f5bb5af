"""Booking a course sends one confirmation listing every session, with one calendar
file holding all of them (issue 21), not one confirmation per session; each session's
later move or cancellation updates its own event in place."""

from datetime import date, timedelta

import icalendar
import pytest
from django.core import mail

from appointments import services as booking
from messaging.models import MessageKind, OutboundMessage
from messaging.outbox import messages_send_due
from treatments import selectors, services

pytestmark = pytest.mark.usefixtures("frozen_now")


@pytest.fixture(autouse=True)
def _locmem_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def course(make_plan, london, front_desk):
    plan = make_plan()
    proposal = selectors.course_proposal(
        plan=plan, first_day=date(2026, 3, 3), location=london
    )
    booked = services.course_book(
        plan=plan,
        starts={row.session.number: row.local_start for row in proposal.rows},
        location=london,
        booked_by=front_desk,
    )
    return plan, booked


def calendar_of(email):
    (ics,) = [a for a in email.attachments if a[2].startswith("text/calendar")]
    return icalendar.Calendar.from_ical(ics[1])


def test_one_confirmation_lists_every_session_with_one_calendar_file(course):
    _plan, booked = course
    messages_send_due()
    kinds = list(
        OutboundMessage.objects.filter(status="sent").values_list("kind", flat=True)
    )
    assert kinds == [MessageKind.COURSE_CONFIRMATION]
    (email,) = mail.outbox
    assert email.subject.startswith("Booked: your SMP session course, 3 sessions from")
    for number, appointment in enumerate(booked, start=1):
        local = appointment.starts_at.astimezone(appointment.location.zone)
        line = f"Session {number} of 3: {local:%A} {local.day} {local:%B %Y, %H:%M}"
        assert line in email.body
    html = email.alternatives[0][0]
    assert html.count("Ask to change the time") == 3
    calendar = calendar_of(email)
    assert str(calendar["METHOD"]) == "PUBLISH"
    events = calendar.walk("VEVENT")
    assert [e.decoded("DTSTART") for e in events] == [a.starts_at for a in booked]
    assert len({str(e["UID"]) for e in events}) == 3
    # Reminders and preparation notes are written for each session all the same.
    for appointment in booked:
        assert OutboundMessage.objects.filter(
            appointment=appointment, kind=MessageKind.REMINDER
        ).exists()


def test_a_session_moved_after_the_course_email_updates_its_own_event(
    course, front_desk
):
    _plan, booked = course
    messages_send_due()
    first_events = {
        str(e["UID"]): e for e in calendar_of(mail.outbox[0]).walk("VEVENT")
    }
    second = booked[1]
    later = second.starts_at + timedelta(minutes=30)
    booking.appointment_reschedule(appointment=second, starts_at=later, by=front_desk)
    messages_send_due()
    assert len(mail.outbox) == 2
    moved = mail.outbox[1]
    assert moved.subject.startswith("Your appointment has moved:")
    old = second.starts_at.astimezone(second.location.zone)
    assert f"No longer: {old:%A} {old.day} {old:%B %Y, %H:%M}" in moved.body
    (event,) = calendar_of(moved).walk("VEVENT")
    before = first_events[str(event["UID"])]
    assert event["SEQUENCE"] > before["SEQUENCE"]
    assert event.decoded("DTSTART") == later


def test_a_session_moved_before_the_sweep_is_listed_at_its_new_time_once(
    course, front_desk
):
    _plan, booked = course
    second = booked[1]
    later = second.starts_at + timedelta(minutes=30)
    booking.appointment_reschedule(appointment=second, starts_at=later, by=front_desk)
    messages_send_due()
    (email,) = mail.outbox
    starts = [e.decoded("DTSTART") for e in calendar_of(email).walk("VEVENT")]
    assert starts == [booked[0].starts_at, later, booked[2].starts_at]


def test_a_retried_sweep_sends_the_course_confirmation_once(course):
    for _ in range(3):
        messages_send_due()
    assert len(mail.outbox) == 1


def test_a_cancelled_plan_sends_no_course_confirmation(course):
    plan, _ = course
    services.plan_cancel(plan=plan)
    messages_send_due()
    assert mail.outbox == []


def test_a_hostile_name_is_escaped_in_the_course_confirmation(course):
    from django.utils.html import escape

    from tests.smp_clinic.test_stored_html import HOSTILE, markup_from

    plan, _ = course
    plan.client.first_name = HOSTILE
    plan.client.save()
    messages_send_due()
    (email,) = mail.outbox
    html = email.alternatives[0][0]
    assert markup_from(html) == []
    assert escape(HOSTILE) in html
    assert f"Hello {HOSTILE}," in email.body  # plain text, as typed
