"""Aftercare follows the course: a client lives a three-session course (days 0, 11
and 21) while the outbox sweeps every day, and reads every aftercare email in order."""

from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from django.core import mail

from appointments import services as booking
from clients.models import Client
from clients.selectors import client_timeline
from messaging.models import AftercareStep, MessageKind, OutboundMessage
from messaging.outbox import messages_send_due
from treatments import services

DAY_0 = date(2026, 3, 3)
HOSTILE = '<b hx-get="/x" hx-trigger=load>"{{x}}\'</b>'
SESSION_DAYS = (0, 11, 21)


def at(day: int, hour: int, minute: int, zone) -> datetime:
    return datetime.combine(DAY_0 + timedelta(days=day), time(hour, minute), zone)


def aftercare_read(client: Client) -> list[tuple[int, str, str]]:
    """(day, subject, body) of every aftercare email in the order it arrived."""
    ids = [int(m.extra_headers["X-SMP-Message"]) for m in mail.outbox]
    kinds = dict(OutboundMessage.objects.filter(pk__in=ids).values_list("pk", "kind"))
    return [
        (day, email.subject.split(" · ")[0], email.body)
        for day, email in getattr(client, "_read", [])
        if kinds[int(email.extra_headers["X-SMP-Message"])] == MessageKind.AFTERCARE
    ]


def live_the_course(client: Client, plan, location, front_desk, last_day=55):
    zone = location.zone
    with time_machine.travel(at(-14, 9, 0, zone), tick=False):
        services.course_book(
            plan=plan,
            starts={
                n: at(day, 9, 15, zone) for n, day in enumerate(SESSION_DAYS, start=1)
            },
            location=location,
            booked_by=front_desk,
        )
    client._read = []
    for day in range(last_day + 1):
        if day in SESSION_DAYS:
            number = SESSION_DAYS.index(day) + 1
            appointment = plan.sessions.get(number=number).appointment
            with time_machine.travel(at(day, 9, 10, zone), tick=False):
                booking.appointment_check_in(appointment=appointment, by=front_desk)
            with time_machine.travel(at(day, 11, 15, zone), tick=False):
                booking.appointment_complete(appointment=appointment, by=front_desk)
        before = len(mail.outbox)
        with time_machine.travel(at(day, 12, 0, zone), tick=False):
            messages_send_due()
        client._read += [(day, email) for email in mail.outbox[before:]]
    return aftercare_read(client)


@pytest.fixture
def plan(make_plan):
    return make_plan()


def test_no_healed_message_before_28_days_after_the_final_session_and_only_one(
    jo, plan, london, front_desk
):
    read = live_the_course(jo, plan, london, front_desk)
    healed = [(day, subject) for day, subject, body in read if "healed" in body]
    assert healed == [(21 + 28, "Protect your scalp from the sun")]
    day_zero = [day for day, subject, _ in read if subject.startswith("Looking after")]
    assert day_zero == list(SESSION_DAYS)
    washing = [day for day, subject, _ in read if subject.startswith("You can wash")]
    assert washing == [day + 4 for day in SESSION_DAYS]
    assert [day for day, _, _ in read] == sorted(day for day, _, _ in read)


def test_day_0_covers_washing_sweating_sun_swimming_sauna_steam_and_picking(
    jo, plan, london, front_desk
):
    read = live_the_course(jo, plan, london, front_desk, last_day=0)
    [(_, _, body)] = read
    for topic in ("wash", "sweat", "sun", "swimming", "sauna", "steam", "pick"):
        assert topic in body.lower(), topic


def test_aftercare_is_sent_without_reminder_consent_and_is_a_receipt_on_the_timeline(
    jo, plan, london, front_desk, practitioner
):
    Client.objects.filter(pk=jo.pk).update(reminder_consent=False)
    jo.refresh_from_db()
    read = live_the_course(jo, plan, london, front_desk, last_day=4)
    assert [day for day, _, _ in read] == [0, 4]
    receipts = [
        event
        for event in client_timeline(user=practitioner, client=jo)
        if event.kind == "Aftercare receipt"
    ]
    assert sorted(event.title.split(" · ")[0] for event in receipts) == [
        "Looking after your scalp tonight",
        "You can wash your scalp again",
    ]


def test_a_client_who_opted_out_of_all_email_gets_no_aftercare(
    jo, plan, london, front_desk
):
    Client.objects.filter(pk=jo.pk).update(email_opt_out=True)
    jo.refresh_from_db()
    assert live_the_course(jo, plan, london, front_desk, last_day=4) == []
    assert set(
        OutboundMessage.objects.filter(kind=MessageKind.AFTERCARE).values_list(
            "last_error", flat=True
        )
    ) == {"The client has opted out of all email."}


def test_a_final_only_step_waits_for_the_last_session(jo, plan, london, front_desk):
    AftercareStep.objects.create(
        day_offset=1,
        after=AftercareStep.After.FINAL_SESSION,
        subject="Course finished",
        body=f"All done {HOSTILE}",
    )
    read = live_the_course(jo, plan, london, front_desk, last_day=23)
    assert [day for day, subject, _ in read if subject == "Course finished"] == [22]
    [(_, _, body)] = [r for r in read if r[1] == "Course finished"]
    # The plain-text part carries the clinic's words as typed.
    assert "<b hx-get" in body
