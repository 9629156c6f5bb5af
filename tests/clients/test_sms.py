"""Text messages through the outbox: the channel chosen by the client's preference
and consent, a dedupe key per channel, the file and Twilio backends, the fallback to
email, quiet hours, short signed links and the timeline."""

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import pytest
from django.core import mail
from django.urls import reverse
from werkzeug import Response

from appointments import services
from clients.models import Client
from messaging import links
from messaging.models import MessageKind, MessageStatus, OutboundMessage
from messaging.outbox import build_sms, messages_send_due
from tests.conftest import NOW, make_treatment_ready

# Wednesday 4 March 2026, 13:30 in London (GMT).
SESSION_AT = datetime(2026, 3, 4, 13, 30, tzinfo=UTC)
# 10:00 in London: outside the quiet hours.
DAYTIME = NOW + timedelta(hours=3)

pytestmark = pytest.mark.usefixtures("rooms")


@pytest.fixture(autouse=True)
def _backends(settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SMS_BACKEND = "messaging.sms.FileBackend"
    settings.SMS_FILE_PATH = tmp_path / "sms"


@pytest.fixture
def jo(jo, practitioner):
    jo.preferred_contact = "sms"
    jo.save()
    return make_treatment_ready(jo, by=practitioner)


def book(jo, service, sam, by, at=SESSION_AT):
    return services.appointment_book(
        client=jo, service=service, practitioner=sam, starts_at=at, booked_by=by
    )


def rows(**filters):
    return {
        (m.kind, m.channel, m.status)
        for m in OutboundMessage.objects.filter(**filters).order_by("pk")
    }


def sms_files(settings):
    return sorted(settings.SMS_FILE_PATH.glob("*.txt"))


class TestChannels:
    def test_a_client_who_prefers_texts_gets_the_news_both_ways_and_reminders_by_text(
        self, frozen_now, jo, smp_session, sam, front_desk
    ):
        appointment = book(jo, smp_session, sam, front_desk)
        assert rows(appointment=appointment) == {
            (MessageKind.CONFIRMATION, "email", "pending"),
            (MessageKind.CONFIRMATION, "sms", "pending"),
            # The preparation note is too long for a text: email only.
            (MessageKind.PREPARATION, "email", "pending"),
            (MessageKind.REMINDER, "sms", "pending"),
        }
        keys = set(
            OutboundMessage.objects.filter(kind=MessageKind.CONFIRMATION).values_list(
                "dedupe_key", flat=True
            )
        )
        email_key = next(k for k in keys if not k.endswith(":sms"))
        assert keys == {email_key, email_key + ":sms"}

    def test_a_client_who_prefers_email_gets_no_text(
        self, frozen_now, jo, smp_session, sam, front_desk
    ):
        jo.preferred_contact = "email"
        jo.save()
        book(jo, smp_session, sam, front_desk)
        assert not OutboundMessage.objects.filter(channel="sms").exists()

    @pytest.mark.parametrize(
        "flags",
        [{"sms_opt_out": True}, {"sms_unreachable": True}, {"phone": ""}],
    )
    def test_a_client_who_cannot_take_texts_gets_email(
        self, frozen_now, jo, smp_session, sam, front_desk, flags
    ):
        Client.objects.filter(pk=jo.pk).update(**flags)
        jo.refresh_from_db()
        book(jo, smp_session, sam, front_desk)
        assert not OutboundMessage.objects.filter(channel="sms").exists()
        assert OutboundMessage.objects.filter(kind="reminder").count() == 2

    def test_a_move_cancels_the_texts_of_the_old_time(
        self, frozen_now, jo, smp_session, sam, front_desk
    ):
        appointment = book(jo, smp_session, sam, front_desk)
        services.appointment_reschedule(
            appointment=appointment,
            starts_at=SESSION_AT + timedelta(days=1),
            by=front_desk,
        )
        old = OutboundMessage.objects.filter(channel="sms", for_starts_at=SESSION_AT)
        assert old.count() == 3
        assert set(old.values_list("status", flat=True)) == {"cancelled"}


class TestSending:
    def test_the_sweep_writes_one_readable_file_per_text_and_sends_it_once(
        self, frozen_now, settings, jo, smp_session, sam, front_desk
    ):
        book(jo, smp_session, sam, front_desk)
        frozen_now.move_to(DAYTIME)
        result = messages_send_due()
        assert result.sent == 2  # the confirmation's email and its text
        [path] = sms_files(settings)
        content = path.read_text()
        assert "To: +447700900123" in content
        assert "your SMP session is booked for Wed 4 Mar at 13:30, London" in content
        assert "Reply STOP to opt out." in content
        text = OutboundMessage.objects.get(channel="sms", kind="confirmation")
        assert text.status == MessageStatus.SENT
        assert text.provider_id.startswith("SMfile")
        assert text.delivery == "queued"
        assert text.body in content
        assert messages_send_due().sent == 0
        assert len(sms_files(settings)) == 1
        assert len(mail.outbox) == 1

    def test_a_text_whose_client_opted_out_since_goes_by_email_once(
        self, frozen_now, settings, jo, consultation, sam, front_desk
    ):
        book(jo, consultation, sam, front_desk)
        text = OutboundMessage.objects.filter(channel="sms", kind="reminder").first()
        Client.objects.filter(pk=jo.pk).update(sms_opt_out=True)
        frozen_now.move_to(text.due_at + timedelta(minutes=1))
        messages_send_due()
        text.refresh_from_db()
        assert text.status == MessageStatus.CANCELLED
        assert text.last_error.startswith("Sent by email instead.")
        email = OutboundMessage.objects.get(
            channel="email", dedupe_key=text.dedupe_key.removesuffix(":sms")
        )
        assert email.status == MessageStatus.PENDING
        # Both reminders (the 48-hour one is due too) go by email, once each.
        before = len(mail.outbox)
        messages_send_due()
        messages_send_due()
        emails = OutboundMessage.objects.filter(channel="email", kind="reminder")
        assert [m.status for m in emails] == ["sent", "sent"]
        assert len(mail.outbox) == before + 2
        assert sms_files(settings) == []

    def test_a_text_that_fails_is_retried_then_listed_as_failed(
        self, frozen_now, settings, jo, smp_session, sam, front_desk
    ):
        settings.SMS_BACKEND = "tests.clients.test_sms.BrokenBackend"
        settings.MESSAGE_MAX_ATTEMPTS = 2
        book(jo, smp_session, sam, front_desk)
        frozen_now.move_to(DAYTIME)
        messages_send_due()
        text = OutboundMessage.objects.get(channel="sms", kind="confirmation")
        assert (text.status, text.attempts) == ("pending", 1)
        assert "carrier down" in text.last_error
        frozen_now.move_to(text.due_at)
        messages_send_due()
        text.refresh_from_db()
        assert (text.status, text.attempts) == ("failed", 2)


class BrokenBackend:
    def send(self, *, to, body, reference):
        raise ConnectionError("carrier down")


class TestQuietHours:
    def test_a_text_due_at_night_waits_for_eight_in_the_morning(
        self, frozen_now, settings, jo, smp_session, sam, front_desk
    ):
        book(jo, smp_session, sam, front_desk)
        # NOW is 07:00 in London: inside the quiet hours.
        result = messages_send_due()
        assert result.postponed == 1
        text = OutboundMessage.objects.get(channel="sms", kind="confirmation")
        assert (text.status, text.due_at) == ("pending", NOW + timedelta(hours=1))
        assert sms_files(settings) == []
        assert len(mail.outbox) == 1  # email has no quiet hours

    def test_a_same_day_change_goes_at_once(
        self, frozen_now, settings, jo, consultation, sam, front_desk
    ):
        # 07:00 in London, a consultation at 13:00 today: its news goes at once.
        soon = NOW + timedelta(hours=6)
        appointment = book(jo, consultation, sam, front_desk, at=soon)
        messages_send_due()
        confirmed = OutboundMessage.objects.get(channel="sms", kind="confirmation")
        assert confirmed.status == MessageStatus.SENT
        frozen_now.move_to(NOW + timedelta(minutes=30))
        services.appointment_reschedule(
            appointment=appointment, starts_at=soon + timedelta(hours=1), by=front_desk
        )
        messages_send_due()
        moved = OutboundMessage.objects.get(channel="sms", kind="moved")
        assert moved.status == MessageStatus.SENT
        assert len(sms_files(settings)) == 2

    def test_quiet_hours_follow_the_location_across_the_clocks_change(self):
        from zoneinfo import ZoneInfo

        from appointments.slots import quiet_hours_end

        london = ZoneInfo("Europe/London")
        # 23:30 BST on Saturday 28 March 2026... the clocks go forward that night.
        at = datetime(2026, 3, 28, 23, 30, tzinfo=UTC)
        end = quiet_hours_end(at, london, quiet_from=21, quiet_until=8)
        assert end == datetime(2026, 3, 29, 7, 0, tzinfo=UTC)  # 08:00 BST
        noon = datetime(2026, 3, 30, 11, 0, tzinfo=UTC)
        assert quiet_hours_end(noon, london, quiet_from=21, quiet_until=8) is None


class TestTexts:
    def test_the_clinic_s_words_are_filled_in_and_a_short_link_added(
        self, frozen_now, jo, consultation, sam, front_desk
    ):
        from messaging.services import message_text_save

        message_text_save(
            key="reminder",
            subject="Reminder",
            body="See you soon.",
            sms="Hi {first_name}, {service} on {date} at {time} 💈",
        )
        book(jo, consultation, sam, front_desk)
        text = OutboundMessage.objects.filter(channel="sms", kind="reminder").first()
        body = build_sms(text)
        assert body.startswith("Hi Jo, Consultation on Wed 4 Mar at 13:30 💈")
        assert f"/s/{links.short_code(text.pk, 'confirm')}/" in body

    def test_a_text_with_a_placeholder_it_cannot_use_is_refused(self, db):
        from django.core.exceptions import ValidationError

        from messaging.services import message_text_save

        with pytest.raises(ValidationError) as refused:
            message_text_save(
                key="reminder", subject="R", body="B", sms="{first_name.__class__}"
            )
        assert "sms" in refused.value.message_dict


class TestShortLinks:
    def sent_reminder(self, frozen_now, jo, consultation, sam, front_desk):
        appointment = book(jo, consultation, sam, front_desk)
        text = OutboundMessage.objects.filter(channel="sms", kind="reminder").first()
        frozen_now.move_to(text.due_at + timedelta(minutes=1))
        messages_send_due()
        text.refresh_from_db()
        assert text.status == "sent"
        return appointment, text

    def test_it_leads_to_the_email_link_s_page_which_asks_before_acting(
        self, client, frozen_now, jo, consultation, sam, front_desk
    ):
        appointment, text = self.sent_reminder(
            frozen_now, jo, consultation, sam, front_desk
        )
        code = links.short_code(text.pk, "confirm")
        response = client.get(f"/s/{code}/", follow=True)
        assert response.status_code == 200
        assert "Confirm your appointment" in response.content.decode()
        appointment.refresh_from_db()
        assert appointment.status == "booked"

    def test_a_tampered_code_is_refused(
        self, client, frozen_now, jo, consultation, sam, front_desk
    ):
        _, text = self.sent_reminder(frozen_now, jo, consultation, sam, front_desk)
        code = links.short_code(text.pk, "confirm")
        forged = code[:-11] + "x" + code[-10:]  # the same message, "cancel"
        assert client.get(f"/s/{forged}/").status_code == 400
        other = links.short_code(text.pk + 1, "confirm")[:-10] + code[-10:]
        assert client.get(f"/s/{other}/").status_code == 400

    def test_after_a_move_it_no_longer_acts(
        self, client, frozen_now, jo, consultation, sam, front_desk
    ):
        appointment, text = self.sent_reminder(
            frozen_now, jo, consultation, sam, front_desk
        )
        services.appointment_reschedule(
            appointment=appointment,
            starts_at=SESSION_AT + timedelta(days=1),
            by=front_desk,
        )
        code = links.short_code(text.pk, "confirm")
        response = client.get(f"/s/{code}/", follow=True)
        assert response.status_code == 410

    def test_it_expires(self, client, frozen_now, jo, consultation, sam, front_desk):
        _, text = self.sent_reminder(frozen_now, jo, consultation, sam, front_desk)
        frozen_now.move_to(text.sent_at + timedelta(days=15))
        code = links.short_code(text.pk, "confirm")
        assert client.get(f"/s/{code}/").status_code == 410


class TestStaffPages:
    def test_the_timeline_and_the_message_page_show_the_text_escaped(
        self, client, frozen_now, jo, smp_session, sam, front_desk
    ):
        jo.first_name = "<script>alert(1)</script>"
        jo.save()
        book(jo, smp_session, sam, front_desk)
        frozen_now.move_to(DAYTIME)
        messages_send_due()
        text = OutboundMessage.objects.get(channel="sms", kind="confirmation")
        client.force_login(front_desk)
        page = client.get(reverse("client_detail", args=[jo.pk])).content.decode()
        assert "Text message" in page
        detail = client.get(reverse("message_detail", args=[text.pk]))
        html = detail.content.decode()
        assert "<script>alert(1)" not in html
        assert "your SMP session is booked" in html
        html_version = client.get(reverse("message_email_html", args=[text.pk]))
        assert html_version.status_code == 404


# The Twilio backend: the real `twilio` library against a local server that answers
# the Messages API as Twilio does.
ACCOUNT = "AC" + "0" * 32


@pytest.fixture
def twilio(settings, httpserver):
    settings.SMS_BACKEND = "messaging.sms.TwilioBackend"
    settings.TWILIO_ACCOUNT_SID = ACCOUNT
    settings.TWILIO_AUTH_TOKEN = "test-token"
    settings.TWILIO_FROM = "+15005550006"
    settings.TWILIO_API_BASE_URL = httpserver.url_for("/")
    return httpserver


MESSAGES_PATH = f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"


def twilio_answer(status: int, payload: dict) -> Response:
    return Response(json.dumps(payload), status=status, content_type="application/json")


class TestTwilio:
    def test_it_sends_through_the_messages_api(
        self, frozen_now, settings, twilio, jo, smp_session, sam, front_desk
    ):
        seen = []

        def answer(request):
            seen.append(parse_qs(request.get_data(as_text=True)))
            return twilio_answer(
                201,
                {"sid": "SM" + "a" * 32, "status": "queued", "account_sid": ACCOUNT},
            )

        twilio.expect_request(MESSAGES_PATH, method="POST").respond_with_handler(answer)
        book(jo, smp_session, sam, front_desk)
        frozen_now.move_to(DAYTIME)
        messages_send_due()
        [form] = seen
        assert form["To"] == ["+447700900123"]
        assert form["From"] == ["+15005550006"]
        assert form["StatusCallback"] == [settings.SITE_URL + "/sms/status/"]
        assert "booked for Wed 4 Mar at 13:30" in form["Body"][0]
        text = OutboundMessage.objects.get(channel="sms", kind="confirmation")
        assert (text.status, text.provider_id) == ("sent", "SM" + "a" * 32)

    def test_a_landline_is_flagged_and_the_message_goes_by_email(
        self, frozen_now, twilio, jo, consultation, sam, front_desk
    ):
        twilio.expect_request(MESSAGES_PATH, method="POST").respond_with_response(
            twilio_answer(
                400,
                {
                    "code": 21614,
                    "message": "'To' number is not a valid mobile number",
                    "status": 400,
                },
            )
        )
        book(jo, consultation, sam, front_desk)
        text = OutboundMessage.objects.filter(channel="sms", kind="reminder").first()
        frozen_now.move_to(text.due_at + timedelta(minutes=1))
        messages_send_due()
        jo.refresh_from_db()
        assert jo.sms_unreachable
        text.refresh_from_db()
        assert text.status == "cancelled"
        assert "21614" in text.last_error
        email = OutboundMessage.objects.get(
            dedupe_key=text.dedupe_key.removesuffix(":sms")
        )
        assert (email.channel, email.status) == ("email", "pending")

    def test_a_server_error_is_retried(
        self, frozen_now, twilio, jo, smp_session, sam, front_desk
    ):
        twilio.expect_request(MESSAGES_PATH, method="POST").respond_with_response(
            twilio_answer(500, {"code": 20500, "message": "Internal", "status": 500})
        )
        book(jo, smp_session, sam, front_desk)
        frozen_now.move_to(DAYTIME)
        messages_send_due()
        text = OutboundMessage.objects.get(channel="sms", kind="confirmation")
        assert (text.status, text.attempts) == ("pending", 1)
        assert not Client.objects.get(pk=jo.pk).sms_unreachable
