"""Emails that tell the truth about changes (issue 21, section 4): a move sends one
"moved" email with the old time struck and an updated calendar event (same UID,
higher SEQUENCE); a cancellation one "cancelled" email with a METHOD:CANCEL file; a
no-show nothing new. Each calendar file is read back with the icalendar library."""

from datetime import UTC, datetime, timedelta

import icalendar
import pytest
import time_machine
from django.core import mail

from appointments import services
from messaging.models import MessageKind, MessageStatus, OutboundMessage
from messaging.outbox import messages_send_due
from tests.conftest import NOW, make_treatment_ready

# Wednesday 4 March 2026, 13:30 in London (GMT).
SESSION_AT = datetime(2026, 3, 4, 13, 30, tzinfo=UTC)
LATER = SESSION_AT + timedelta(days=1, hours=1)  # Thu 5 Mar 14:30
LATEST = SESSION_AT + timedelta(days=2, hours=-3)  # Fri 6 Mar 10:30

pytestmark = pytest.mark.usefixtures("rooms")


@pytest.fixture(autouse=True)
def _locmem_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def jo(jo, practitioner):
    return make_treatment_ready(jo, by=practitioner)


@pytest.fixture
def told(frozen_now, jo, consultation, sam, front_desk):
    """Jo's consultation, booked and its confirmation sent."""
    appointment = services.appointment_book(
        client=jo,
        service=consultation,
        practitioner=sam,
        starts_at=SESSION_AT,
        booked_by=front_desk,
    )
    messages_send_due()
    mail.outbox.clear()
    return appointment


def move(appointment, at, by):
    return services.appointment_reschedule(appointment=appointment, starts_at=at, by=by)


def sent(kind):
    return [m for m in mail.outbox if m.extra_headers["X-SMP-Message"] in ids(kind)]


def ids(kind):
    return {
        str(pk)
        for pk in OutboundMessage.objects.filter(kind=kind).values_list("pk", flat=True)
    }


def event_of(email):
    """The one calendar attachment, parsed: (METHOD, its VEVENT)."""
    files = [a for a in email.attachments if a[2].startswith("text/calendar")]
    assert len(files) == 1
    calendar = icalendar.Calendar.from_ical(files[0][1])
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return str(calendar["METHOD"]), events[0]


def confirmation_event(appointment):
    message = OutboundMessage.objects.get(
        appointment=appointment, kind=MessageKind.CONFIRMATION, status="sent"
    )
    from messaging.outbox import build_email

    return event_of(build_email(message))


class TestMoved:
    def test_a_move_sends_one_moved_email_not_a_second_booked(self, told, front_desk):
        _, booked = confirmation_event(told)
        move(told, LATER, front_desk)
        messages_send_due()
        assert len(mail.outbox) == 1
        email = mail.outbox[0]
        assert email.subject.startswith(
            "Your appointment has moved: Consultation is now Thu 5 Mar at 14:30"
        )
        assert "Booked" not in email.subject
        assert "no longer on Wed 4 Mar at 13:30" in email.body
        assert "No longer: Wednesday 4 March 2026, 13:30" in email.body
        assert "Thursday 5 March 2026, 14:30" in email.body
        html = email.alternatives[0][0]
        assert "<s>Wednesday 4 March 2026, 13:30</s>" in html
        method, event = event_of(email)
        assert method == "PUBLISH"
        assert str(event["UID"]) == str(booked["UID"])
        assert event["SEQUENCE"] > booked["SEQUENCE"]
        assert event.decoded("DTSTART") == LATER
        # Its links act on the new time.
        assert (
            OutboundMessage.objects.filter(
                appointment=told, kind=MessageKind.CONFIRMATION, status="pending"
            ).count()
            == 0
        )

    def test_a_second_move_raises_the_sequence_again(self, told, front_desk):
        move(told, LATER, front_desk)
        messages_send_due()
        move(told, LATEST, front_desk)
        messages_send_due()
        first, second = (event_of(e)[1] for e in mail.outbox)
        assert first["UID"] == second["UID"]
        assert second["SEQUENCE"] > first["SEQUENCE"]
        assert second.decoded("DTSTART") == LATEST
        # The second strikes the time the first gave.
        assert "No longer: Thursday 5 March 2026, 14:30" in mail.outbox[1].body

    def test_two_moves_before_a_sweep_send_one_email_from_the_time_told(
        self, told, front_desk
    ):
        move(told, LATER, front_desk)
        move(told, LATEST, front_desk)
        messages_send_due()
        assert len(mail.outbox) == 1
        assert "No longer: Wednesday 4 March 2026, 13:30" in mail.outbox[0].body
        assert event_of(mail.outbox[0])[1].decoded("DTSTART") == LATEST

    def test_moved_away_and_back_before_a_sweep_sends_nothing(self, told, front_desk):
        move(told, LATER, front_desk)
        move(told, SESSION_AT, front_desk)
        messages_send_due()
        assert mail.outbox == []

    def test_moving_again_to_the_same_time_sends_once(self, told, front_desk):
        move(told, LATER, front_desk)
        messages_send_due()
        move(told, LATER, front_desk)  # the form sent twice
        messages_send_due()
        assert len(sent(MessageKind.MOVED)) == 1

    def test_a_retried_sweep_sends_the_move_once(self, told, front_desk):
        move(told, LATER, front_desk)
        messages_send_due()
        messages_send_due()
        with time_machine.travel(NOW + timedelta(hours=1), tick=False):
            messages_send_due()
        assert len(mail.outbox) == 1
        moved = OutboundMessage.objects.get(kind=MessageKind.MOVED)
        assert moved.status == MessageStatus.SENT

    def test_a_move_before_the_confirmation_went_confirms_the_new_time(
        self, frozen_now, jo, consultation, sam, front_desk
    ):
        appointment = services.appointment_book(
            client=jo,
            service=consultation,
            practitioner=sam,
            starts_at=SESSION_AT,
            booked_by=front_desk,
        )
        move(appointment, LATER, front_desk)
        messages_send_due()
        assert len(mail.outbox) == 1
        assert mail.outbox[0].subject.startswith("Booked: Consultation on Thu 5 Mar")


class TestCancelled:
    def test_the_clinic_cancelling_apologises_offers_to_rebook_and_cancels_the_event(
        self, told, front_desk, settings
    ):
        _, booked = confirmation_event(told)
        services.appointment_cancel(
            appointment=told, reason="Your practitioner is ill", by=front_desk
        )
        messages_send_due()
        assert len(mail.outbox) == 1
        email = mail.outbox[0]
        assert email.subject.startswith(
            "Your appointment is cancelled: Consultation on Wed 4 Mar at 13:30"
        )
        assert "We are sorry" in email.body
        assert "Reason: Your practitioner is ill" in email.body
        assert f"Book another time: {settings.SITE_URL}/book/" in email.body
        assert "Confirm you are coming" not in email.body
        html = email.alternatives[0][0]
        assert f'href="{settings.SITE_URL}/book/"' in html
        assert "Confirm I am coming" not in html
        method, event = event_of(email)
        assert method == "CANCEL"
        assert str(event["STATUS"]) == "CANCELLED"
        assert event["UID"] == booked["UID"]
        assert event["SEQUENCE"] > booked["SEQUENCE"]
        assert event.decoded("DTSTART") == SESSION_AT

    def test_the_client_cancelling_by_their_link_gets_no_apology(self, told, client):
        from messaging import links

        url = links.action_url("cancel", told)
        assert client.post(url.removeprefix(settings_site())).status_code == 200
        messages_send_due()
        (email,) = mail.outbox
        assert "as you asked" in email.body
        assert "We are sorry" not in email.body
        assert "/book/" not in email.body
        assert "Reason:" not in email.body
        assert event_of(email)[0] == "CANCEL"

    def test_a_move_then_a_cancel(self, told, front_desk):
        move(told, LATER, front_desk)
        messages_send_due()
        services.appointment_cancel(appointment=told, reason="Ill", by=front_desk)
        messages_send_due()
        (moved, cancelled) = (event_of(e)[1] for e in mail.outbox)
        assert cancelled["UID"] == moved["UID"]
        assert cancelled["SEQUENCE"] > moved["SEQUENCE"]
        assert cancelled.decoded("DTSTART") == LATER
        assert event_of(mail.outbox[1])[0] == "CANCEL"

    def test_cancelled_before_the_move_went_sends_only_the_cancellation(
        self, told, front_desk
    ):
        move(told, LATER, front_desk)
        services.appointment_cancel(appointment=told, reason="Ill", by=front_desk)
        messages_send_due()
        messages_send_due()
        assert [e.subject.split(":")[0] for e in mail.outbox] == [
            "Your appointment is cancelled"
        ]

    def test_cancelled_before_anything_was_sent_sends_nothing(
        self, frozen_now, jo, consultation, sam, front_desk
    ):
        appointment = services.appointment_book(
            client=jo,
            service=consultation,
            practitioner=sam,
            starts_at=SESSION_AT,
            booked_by=front_desk,
        )
        services.appointment_cancel(appointment=appointment, reason="x", by=front_desk)
        messages_send_due()
        assert mail.outbox == []

    def test_a_no_show_sends_nothing_new(self, told, front_desk):
        with time_machine.travel(SESSION_AT + timedelta(minutes=20), tick=False):
            services.appointment_mark_no_show(appointment=told, by=front_desk)
            messages_send_due()
        assert mail.outbox == []
        kinds = set(OutboundMessage.objects.values_list("kind", flat=True))
        assert kinds == {MessageKind.CONFIRMATION, MessageKind.REMINDER}

    def test_a_retried_sweep_sends_the_cancellation_once(self, told, front_desk):
        services.appointment_cancel(appointment=told, reason="Ill", by=front_desk)
        for _ in range(3):
            messages_send_due()
        assert len(mail.outbox) == 1


def settings_site():
    from django.conf import settings

    return settings.SITE_URL


SETUP = "/setup/messages/"


class TestEditableTexts:
    def test_the_clinics_moved_words_go_out(self, told, front_desk, client, manager):
        client.force_login(manager)
        response = client.post(
            f"{SETUP}moved/",
            {"subject": "New time {date} {time}", "body": "Was {old_date} {old_time}."},
        )
        assert response.status_code == 302
        move(told, LATER, front_desk)
        messages_send_due()
        (email,) = mail.outbox
        assert email.subject.startswith("New time Thu 5 Mar 14:30")
        assert "Was Wed 4 Mar 13:30." in email.body

    @pytest.mark.parametrize("key", ["cancelled", "cancelled_by_client"])
    def test_a_cancellation_text_cannot_name_the_old_time(self, client, manager, key):
        from messaging.models import MessageText

        client.force_login(manager)
        response = client.post(
            f"{SETUP}{key}/", {"subject": "Gone {old_time}", "body": "Sorry."}
        )
        assert response.status_code == 422
        assert "{old_time} is not a placeholder here" in response.text
        assert not MessageText.objects.exists()
        page = client.get(f"{SETUP}{key}/").text
        assert (
            "Your appointment is cancelled: SMP session on Wed 4 Mar at 13:30" in page
        )
