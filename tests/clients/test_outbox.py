"""The outbox: messages written with the booking, moved and cancelled with it, and a
sweep that sends each due message once, re-checking it still applies."""

import io
import threading
from datetime import UTC, datetime, timedelta
from smtplib import SMTPException

import icalendar
import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection, connections

from appointments import services
from messaging.models import AftercareStep, MessageKind, MessageStatus, OutboundMessage
from messaging.outbox import messages_send_due
from tests.conftest import NOW, make_treatment_ready

# Wednesday 4 March 2026, 13:30 in London (GMT): 54.5 hours after NOW.
SESSION_AT = datetime(2026, 3, 4, 13, 30, tzinfo=UTC)


@pytest.fixture
def jo(jo, practitioner):
    """Jo passes every gate before treatment (appointments.gates)."""
    return make_treatment_ready(jo, by=practitioner)


pytestmark = pytest.mark.usefixtures("rooms")


@pytest.fixture(autouse=True)
def _locmem_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def book(jo, service, sam, by, at=SESSION_AT):
    return services.appointment_book(
        client=jo, service=service, practitioner=sam, starts_at=at, booked_by=by
    )


def schedule(appointment):
    return {
        (m.kind, m.due_at, m.status)
        for m in OutboundMessage.objects.filter(appointment=appointment)
    }


class TestScheduling:
    def test_a_booking_writes_confirmation_preparation_and_reminders(
        self, frozen_now, jo, smp_session, sam, front_desk
    ):
        appointment = book(jo, smp_session, sam, front_desk)
        assert schedule(appointment) == {
            (MessageKind.CONFIRMATION, NOW, "pending"),
            (MessageKind.PREPARATION, SESSION_AT - timedelta(hours=48), "pending"),
            (MessageKind.REMINDER, SESSION_AT - timedelta(hours=48), "pending"),
            (MessageKind.REMINDER, SESSION_AT - timedelta(hours=24), "pending"),
        }

    def test_a_consultation_gets_no_preparation_note(
        self, frozen_now, jo, consultation, sam, front_desk
    ):
        appointment = book(jo, consultation, sam, front_desk)
        kinds = sorted(m[0] for m in schedule(appointment))
        assert kinds == ["confirmation", "reminder", "reminder"]

    def test_reminders_whose_time_has_passed_are_not_written(
        self, frozen_now, jo, consultation, sam, front_desk
    ):
        # Tomorrow 10:00 is 27 hours away: the 48-hour reminder is already late.
        appointment = book(
            jo, consultation, sam, front_desk, at=NOW + timedelta(hours=27)
        )
        assert {(m[0], m[1]) for m in schedule(appointment)} == {
            (MessageKind.CONFIRMATION, NOW),
            (MessageKind.REMINDER, NOW + timedelta(hours=3)),
        }

    def test_rescheduling_replaces_the_pending_messages(
        self, frozen_now, jo, smp_session, sam, front_desk
    ):
        appointment = book(jo, smp_session, sam, front_desk)
        later = SESSION_AT + timedelta(days=1)
        services.appointment_reschedule(
            appointment=appointment, starts_at=later, by=front_desk
        )
        pending = {
            (m.kind, m.due_at) for m in OutboundMessage.objects.filter(status="pending")
        }
        # The new time gets its own confirmation, note and reminders; everything
        # written for the old time (the unsent confirmation too) is cancelled.
        assert pending == {
            (MessageKind.CONFIRMATION, NOW),
            (MessageKind.PREPARATION, later - timedelta(hours=48)),
            (MessageKind.REMINDER, later - timedelta(hours=48)),
            (MessageKind.REMINDER, later - timedelta(hours=24)),
        }
        assert OutboundMessage.objects.filter(status="pending").count() == 4
        cancelled = OutboundMessage.objects.filter(status="cancelled")
        assert {m.for_starts_at for m in cancelled} == {SESSION_AT}
        assert cancelled.count() == 4

    def test_moving_back_to_the_first_time_writes_its_reminders_again(
        self, frozen_now, jo, smp_session, sam, front_desk
    ):
        appointment = book(jo, smp_session, sam, front_desk)
        for at in (SESSION_AT + timedelta(days=1), SESSION_AT):
            services.appointment_reschedule(
                appointment=appointment, starts_at=at, by=front_desk
            )
        pending = OutboundMessage.objects.filter(status="pending")
        assert {(m.kind, m.due_at) for m in pending} == {
            (MessageKind.CONFIRMATION, NOW),
            (MessageKind.PREPARATION, SESSION_AT - timedelta(hours=48)),
            (MessageKind.REMINDER, SESSION_AT - timedelta(hours=48)),
            (MessageKind.REMINDER, SESSION_AT - timedelta(hours=24)),
        }
        assert {m.for_starts_at for m in pending} == {SESSION_AT}

    @pytest.mark.parametrize("how", ["cancel", "no_show"])
    def test_cancelling_or_a_no_show_cancels_what_is_pending(
        self, jo, consultation, sam, front_desk, how
    ):
        with time_machine.travel(NOW, tick=False):
            appointment = book(jo, consultation, sam, front_desk)
            messages_send_due()
        with time_machine.travel(SESSION_AT + timedelta(minutes=5), tick=False):
            if how == "cancel":
                services.appointment_cancel(
                    appointment=appointment, reason="Ill", by=front_desk
                )
            else:
                services.appointment_mark_no_show(
                    appointment=appointment, by=front_desk
                )
        statuses = {m.kind: m.status for m in OutboundMessage.objects.all()}
        assert statuses == {"confirmation": "sent", "reminder": "cancelled"}

    def test_writing_the_same_message_twice_is_a_no_op(
        self, frozen_now, jo, consultation, sam, front_desk
    ):
        from messaging.outbox import appointment_messages_schedule

        appointment = book(jo, consultation, sam, front_desk)
        appointment_messages_schedule(appointment=appointment)
        assert OutboundMessage.objects.count() == 3


class TestSweep:
    def test_it_sends_what_is_due_and_nothing_else(
        self, jo, smp_session, sam, front_desk
    ):
        with time_machine.travel(NOW, tick=False):
            appointment = book(jo, smp_session, sam, front_desk)
            result = messages_send_due()
        assert (result.claimed, result.sent) == (1, 1)
        [confirmation] = mail.outbox
        assert confirmation.to == ["jo@x.test"]
        assert "Booked: SMP session on Wed 4 Mar at 13:30" in confirmation.subject
        assert "(London time)" in confirmation.body
        assert confirmation.extra_headers["List-Unsubscribe"].startswith(
            "<http://127.0.0.1:8000/m/unsubscribe/"
        )
        [(_name, ics, _type)] = confirmation.attachments
        event = icalendar.Calendar.from_ical(ics).walk("VEVENT")[0]
        assert event["DTSTART"].dt == SESSION_AT
        assert str(event["DTSTART"].dt.tzinfo) == "Europe/London"

        with time_machine.travel(SESSION_AT - timedelta(hours=48), tick=False):
            assert messages_send_due().sent == 2
        with time_machine.travel(SESSION_AT - timedelta(hours=24), tick=False):
            assert messages_send_due().sent == 1
            assert messages_send_due().claimed == 0
        assert [m.subject for m in mail.outbox] == [
            "Booked: SMP session on Wed 4 Mar at 13:30 · SMP Clinic",
            "Getting ready for your SMP session on Wed 4 Mar · SMP Clinic",
            "Reminder: SMP session Wed 4 Mar at 13:30 · SMP Clinic",
            "Reminder: SMP session Wed 4 Mar at 13:30 · SMP Clinic",
        ]
        assert OutboundMessage.objects.filter(status="sent").count() == 4
        assert appointment.messages.filter(sent_at__isnull=True).count() == 0

    def test_it_re_checks_consent_and_email_before_sending(
        self, jo, consultation, sam, front_desk
    ):
        with time_machine.travel(NOW, tick=False):
            book(jo, consultation, sam, front_desk)
            jo.reminder_consent = False
            jo.save()
            assert messages_send_due().sent == 1  # the confirmation still goes
        with time_machine.travel(SESSION_AT - timedelta(hours=24), tick=False):
            result = messages_send_due()
        assert (result.sent, result.skipped) == (0, 2)
        skipped = OutboundMessage.objects.filter(kind="reminder")
        assert {(m.status, m.last_error) for m in skipped} == {
            ("cancelled", "The client does not want reminders.")
        }

        jo.email = ""
        jo.save()
        with time_machine.travel(NOW, tick=False):
            services.appointment_reschedule(
                appointment=skipped[0].appointment,
                starts_at=SESSION_AT + timedelta(days=1),
                by=front_desk,
            )
            assert messages_send_due().skipped == 1
        assert OutboundMessage.objects.filter(
            last_error="The client has no email address."
        ).exists()

    def test_a_message_for_a_moved_appointment_is_not_sent(
        self, jo, consultation, sam, front_desk
    ):
        with time_machine.travel(NOW, tick=False):
            appointment = book(jo, consultation, sam, front_desk)
            # Moved behind the service's back (the admin, a restore): the sweep notices.
            moved = SESSION_AT + timedelta(hours=1)
            type(appointment).objects.filter(pk=appointment.pk).update(
                starts_at=moved,
                ends_at=moved + timedelta(minutes=30),
                busy_starts_at=moved,
                busy_ends_at=moved + timedelta(minutes=30),
            )
            result = messages_send_due()
        assert (result.sent, result.skipped) == (0, 1)
        assert OutboundMessage.objects.get(kind="confirmation").last_error == (
            "The appointment has moved."
        )

    def test_a_failure_is_retried_with_backoff_then_marked_failed(
        self, settings, jo, consultation, sam, front_desk
    ):
        settings.EMAIL_BACKEND = "tests.clients.test_outbox.RefusingBackend"
        settings.MESSAGE_MAX_ATTEMPTS = 3
        with time_machine.travel(NOW, tick=False):
            book(jo, consultation, sam, front_desk)
        at = NOW
        for attempt in (1, 2):
            with time_machine.travel(at, tick=False):
                assert messages_send_due().retried == 1
            message = OutboundMessage.objects.get(kind="confirmation")
            assert message.status == "pending"
            assert message.due_at == at + timedelta(minutes=2**attempt)
            assert "SMTPException: relay down" in message.last_error
            at = message.due_at
        with time_machine.travel(at, tick=False):
            assert messages_send_due().failed == 1
        assert OutboundMessage.objects.get(kind="confirmation").status == "failed"

    def test_a_claim_left_by_a_dead_sweep_is_taken_again(
        self, settings, jo, consultation, sam, front_desk
    ):
        with time_machine.travel(NOW, tick=False):
            book(jo, consultation, sam, front_desk)
            OutboundMessage.objects.filter(kind="confirmation").update(
                status=MessageStatus.SENDING, claim="dead", claimed_at=NOW
            )
            assert messages_send_due().claimed == 0
        later = NOW + timedelta(seconds=settings.MESSAGE_CLAIM_TIMEOUT_SECONDS + 1)
        with time_machine.travel(later, tick=False):
            assert messages_send_due().sent == 1


class RefusingBackend(EmailBackend):
    def send_messages(self, messages):
        raise SMTPException("relay down")


def _sweep_concurrently(sweeps: int) -> None:
    barrier = threading.Barrier(sweeps)

    def run():
        barrier.wait()
        try:
            messages_send_due(now=NOW + timedelta(days=30), batch=40)
            messages_send_due(now=NOW + timedelta(days=30), batch=1000)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(sweeps)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _many_due_messages(jo, count: int) -> None:
    OutboundMessage.objects.bulk_create(
        OutboundMessage(
            client=jo, kind=MessageKind.CONFIRMATION, due_at=NOW, dedupe_key=f"k{n}"
        )
        for n in range(count)
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_send_each_message_once(jo, settings):
    _many_due_messages(jo, 200)
    _sweep_concurrently(4)
    sent = [m.extra_headers["X-SMP-Message"] for m in mail.outbox]
    assert len(sent) == 200
    assert len(set(sent)) == 200
    assert OutboundMessage.objects.filter(status="sent").count() == 200


@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_on_a_sqlite_file_send_each_message_once(jo, settings):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite variant runs on the embedded default database")
    _many_due_messages(jo, 200)
    _sweep_concurrently(4)
    sent = [m.extra_headers["X-SMP-Message"] for m in mail.outbox]
    assert sorted(sent) == sorted({*sent})
    assert len(sent) == 200


class TestStaffPages:
    def test_failed_messages_are_shown_first_and_can_be_retried(
        self, client, frozen_now, jo, consultation, sam, front_desk
    ):
        book(jo, consultation, sam, front_desk)
        failed = OutboundMessage.objects.get(kind="confirmation")
        OutboundMessage.objects.filter(pk=failed.pk).update(
            status="failed", attempts=5, last_error="SMTPException: relay down"
        )
        client.force_login(front_desk)
        page = client.get("/clients/messages/").text
        assert page.index("relay down") < page.index("Appointment reminder")
        client.post(f"/clients/messages/{failed.pk}/retry/")
        failed.refresh_from_db()
        assert (failed.status, failed.attempts, failed.due_at) == ("pending", 0, NOW)

    def test_staff_open_a_message_as_the_client_reads_it(
        self, client, frozen_now, jo, consultation, sam, front_desk, outsider
    ):
        book(jo, consultation, sam, front_desk)
        messages_send_due()
        message = OutboundMessage.objects.get(kind="confirmation")
        client.force_login(front_desk)
        page = client.get(f"/clients/messages/{message.pk}/").text
        assert "Booked: Consultation on Wed 4 Mar at 13:30" in page
        assert "Your appointment is booked" in page
        assert "Booking confirmation: sent" in client.get(f"/clients/{jo.pk}/").text
        client.force_login(outsider)
        assert client.get(f"/clients/messages/{message.pk}/").status_code == 403


class TestClinicalMessages:
    """Messages that quote the health or treatment record are for clinical roles."""

    def test_the_front_desk_neither_lists_nor_opens_an_ink_passport(
        self, client, frozen_now, jo, consultation, sam, front_desk, practitioner
    ):
        from treatments.services import ink_passport_send

        book(jo, consultation, sam, front_desk)
        passport = ink_passport_send(client=jo)
        messages_send_due()
        booking = OutboundMessage.objects.get(kind="confirmation")
        client.force_login(front_desk)
        assert client.get(f"/clients/messages/{passport.pk}/").status_code == 404
        assert (
            client.get(f"/clients/messages/{passport.pk}/email.html").status_code == 404
        )
        assert client.post(f"/clients/messages/{passport.pk}/retry/").status_code == (
            404
        )
        listed = client.get("/clients/messages/?status=sent").text
        assert f"/clients/messages/{booking.pk}/" in listed
        assert f"/clients/messages/{passport.pk}/" not in listed
        timeline = client.get(f"/clients/{jo.pk}/").text
        assert f"/clients/messages/{booking.pk}/" in timeline
        assert "Ink passport" not in timeline

        client.force_login(practitioner)
        assert client.get(f"/clients/messages/{passport.pk}/").status_code == 200
        assert (
            f"/clients/messages/{passport.pk}/"
            in client.get("/clients/messages/?status=sent").text
        )
        assert "Ink passport" in client.get(f"/clients/{jo.pk}/").text


def test_the_task_and_the_command_share_the_sweep(
    frozen_now, jo, consultation, sam, front_desk
):
    from django.core.management import call_command

    from messaging.tasks import send_due_messages
    from smp_clinic.celery import app

    schedule = app.conf.beat_schedule["send-due-messages"]
    assert schedule["task"] == "messaging.tasks.send_due_messages"
    assert schedule["schedule"] == 60.0
    book(jo, consultation, sam, front_desk)
    send_due_messages()
    assert len(mail.outbox) == 1
    book(jo, consultation, sam, front_desk, at=SESSION_AT + timedelta(hours=1))
    out = io.StringIO()
    call_command("send_due_messages", stdout=out)
    assert out.getvalue().strip() == (
        "claimed 1, sent 1, skipped 0, to retry 0, failed 0"
    )
    assert len(mail.outbox) == 2


class TestAftercare:
    @pytest.fixture
    def completed(self, jo, smp_session, sam, front_desk):
        with time_machine.travel(NOW, tick=False):
            appointment = book(jo, smp_session, sam, front_desk)
        with time_machine.travel(SESSION_AT, tick=False):
            services.appointment_check_in(appointment=appointment, by=front_desk)
        done_at = SESSION_AT + timedelta(hours=2)
        with time_machine.travel(done_at, tick=False):
            services.appointment_complete(appointment=appointment, by=front_desk)
        return appointment, done_at

    def test_a_completed_session_gets_the_clinics_sequence(self, completed):
        appointment, done_at = completed
        due = {
            m.aftercare_step.day_offset: m.due_at
            for m in appointment.messages.filter(kind="aftercare")
        }
        # Day 0 at once; later days at 10:00 London: GMT on 8 March, BST on 1 April.
        assert due == {
            0: done_at,
            4: datetime(2026, 3, 8, 10, 0, tzinfo=UTC),
            28: datetime(2026, 4, 1, 9, 0, tzinfo=UTC),
        }
        with time_machine.travel(done_at, tick=False):
            assert messages_send_due().sent == 1
        [email] = mail.outbox[-1:]
        assert email.subject == "Looking after your scalp tonight · SMP Clinic"
        assert "do not wash or wet your scalp" in email.body
        assert "/m/" not in email.body.split("Stop aftercare")[0]

    def test_an_edited_or_switched_off_step_applies_to_unsent_emails(
        self, completed, client, manager
    ):
        appointment, _ = completed
        first, washing = AftercareStep.objects.filter(day_offset__in=[0, 4])
        client.force_login(manager)
        client.post(
            f"/setup/aftercare/{first.pk}/",
            {
                "day_offset": 0,
                "after": "every",
                "subject": "Tonight & tomorrow",
                "body": "New words.",
                "is_active": "on",
            },
        )
        # Unticked "Sent": the clinic no longer sends the day-4 email.
        client.post(
            f"/setup/aftercare/{washing.pk}/",
            {
                "day_offset": 4,
                "after": "every",
                "subject": washing.subject,
                "body": washing.body,
            },
        )
        with time_machine.travel(datetime(2026, 3, 8, 10, 0, tzinfo=UTC), tick=False):
            result = messages_send_due()
        # Sent: day 0 as edited. Skipped: day 4, and the confirmation, note and
        # reminders nobody swept before the session was completed.
        assert (result.sent, result.skipped) == (1, 5)
        [email] = mail.outbox
        assert email.subject == "Tonight & tomorrow · SMP Clinic"
        assert "New words." in email.body
        skipped = appointment.messages.get(status="cancelled", kind="aftercare")
        assert skipped.last_error == "The clinic no longer sends this aftercare email."

    def test_a_consultation_gets_no_aftercare(self, jo, consultation, sam, front_desk):
        with time_machine.travel(NOW, tick=False):
            appointment = book(jo, consultation, sam, front_desk)
        with time_machine.travel(SESSION_AT, tick=False):
            services.appointment_check_in(appointment=appointment, by=front_desk)
            services.appointment_complete(appointment=appointment, by=front_desk)
        assert not appointment.messages.filter(kind="aftercare").exists()
