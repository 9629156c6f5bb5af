"""Twilio's webhooks, signed with Twilio's own RequestValidator: delivery status
callbacks, and texts clients send (C/YES confirms, STOP opts out, START back in,
anything else waits in the front desk's Replies with a reply box)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from twilio.request_validator import RequestValidator

from appointments import services
from clients.models import Client
from messaging.models import InboundMessage, MessageStatus, OutboundMessage
from messaging.outbox import messages_send_due
from tests.conftest import NOW, make_treatment_ready

SESSION_AT = datetime(2026, 3, 4, 13, 30, tzinfo=UTC)
TOKEN = "webhook-test-token"

pytestmark = pytest.mark.usefixtures("rooms")


@pytest.fixture(autouse=True)
def _twilio_token(settings, tmp_path):
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SMS_BACKEND = "messaging.sms.FileBackend"
    settings.SMS_FILE_PATH = tmp_path / "sms"


@pytest.fixture
def jo(jo, practitioner):
    jo.preferred_contact = "sms"
    jo.save()
    return make_treatment_ready(jo, by=practitioner)


def signed_post(client, name: str, params: dict, *, token: str = TOKEN):
    path = reverse(name)
    signature = RequestValidator(token).compute_signature(
        django_settings.SITE_URL + path, params
    )
    return client.post(path, params, HTTP_X_TWILIO_SIGNATURE=signature)


def text_from(client, body: str, sid: str = "SM" + "1" * 32, phone="07700 900123"):
    return signed_post(
        client,
        "sms_inbound",
        {"MessageSid": sid, "From": phone, "Body": body, "To": "+15005550006"},
    )


@pytest.fixture
def booked(frozen_now, jo, consultation, sam, front_desk):
    return services.appointment_book(
        client=jo,
        service=consultation,
        practitioner=sam,
        starts_at=SESSION_AT,
        booked_by=front_desk,
    )


class TestInbound:
    def test_c_confirms_the_next_appointment_once_even_if_delivered_twice(
        self, client, booked
    ):
        assert text_from(client, " c ").status_code == 200
        assert text_from(client, " c ").status_code == 200
        booked.refresh_from_db()
        assert booked.status == "confirmed"
        [inbound] = InboundMessage.objects.all()
        assert (inbound.action, inbound.appointment) == ("confirmed", booked)

    def test_yes_with_nothing_booked_waits_for_the_front_desk(self, client, jo):
        text_from(client, "YES")
        assert InboundMessage.objects.get().action == "reply"

    @pytest.mark.parametrize("word", ["STOP", "unsubscribe", "Cancel", "END", "quit"])
    def test_stop_words_opt_the_number_out_of_every_text(self, client, booked, word):
        twin = Client.objects.create(
            first_name="Al", last_name="Bloggs", phone="+447700900123"
        )
        text_from(client, word)
        assert set(
            Client.objects.filter(pk__in=[booked.client_id, twin.pk]).values_list(
                "sms_opt_out", flat=True
            )
        ) == {True}
        # The pending texts go by email instead when due.
        texts = OutboundMessage.objects.filter(channel="sms", status="pending")
        assert texts.exists()
        messages_send_due(now=NOW + timedelta(hours=3))
        assert not OutboundMessage.objects.filter(
            channel="sms", status=MessageStatus.SENT
        ).exists()

    def test_start_opts_back_in(self, client, jo):
        Client.objects.filter(pk=jo.pk).update(sms_opt_out=True)
        text_from(client, "START", sid="SM" + "2" * 32)
        jo.refresh_from_db()
        assert not jo.sms_opt_out

    def test_a_forged_request_is_refused_and_changes_nothing(self, client, booked):
        forged = signed_post(
            client,
            "sms_inbound",
            {"MessageSid": "SM" + "3" * 32, "From": "+447700900123", "Body": "STOP"},
            token="not-the-token",
        )
        unsigned = client.post(
            reverse("sms_inbound"),
            {"MessageSid": "SM" + "4" * 32, "From": "+447700900123", "Body": "C"},
        )
        assert (forged.status_code, unsigned.status_code) == (403, 403)
        assert not InboundMessage.objects.exists()
        booked.refresh_from_db()
        assert booked.status == "booked"
        assert not Client.objects.get(pk=booked.client_id).sms_opt_out

    def test_without_a_token_nothing_is_accepted(self, client, settings, booked):
        settings.TWILIO_AUTH_TOKEN = ""
        response = signed_post(
            client, "sms_inbound", {"MessageSid": "SMx", "From": "+4477", "Body": "C"}
        )
        assert response.status_code == 403


class TestReplies:
    def test_a_reply_is_listed_escaped_and_answered_through_the_outbox(
        self, client, frozen_now, jo, front_desk
    ):
        text_from(client, "Can I bring my <script>alert(1)</script> brother? 😀")
        client.force_login(front_desk)
        page = client.get(reverse("replies")).content.decode()
        assert "&lt;script&gt;alert(1)&lt;/script&gt; brother? 😀" in page
        assert "<script>alert(1)" not in page
        inbound = InboundMessage.objects.get()
        url = reverse("reply_send", args=[inbound.pk])
        client.post(url, {"text": "Of course, see you then."})
        client.post(url, {"text": "Of course, see you then."})
        reply = OutboundMessage.objects.get(kind="reply")
        assert (reply.channel, reply.body) == ("sms", "Of course, see you then.")
        messages_send_due(now=NOW + timedelta(hours=3))
        reply.refresh_from_db()
        assert reply.status == "sent"
        inbound.refresh_from_db()
        assert inbound.handled_by == front_desk
        assert "No replies waiting." in client.get(reverse("replies")).content.decode()

    def test_an_empty_reply_is_refused_and_nothing_is_sent(
        self, client, jo, front_desk
    ):
        text_from(client, "Hello?")
        client.force_login(front_desk)
        inbound = InboundMessage.objects.get()
        response = client.post(
            reverse("reply_send", args=[inbound.pk]), {"text": "  "}, follow=True
        )
        assert "Write the reply first." in response.content.decode()
        assert not OutboundMessage.objects.filter(kind="reply").exists()
        inbound.refresh_from_db()
        assert inbound.handled_at is None

    def test_an_unknown_number_is_listed_without_a_reply_box(
        self, client, db, front_desk
    ):
        text_from(client, "Who is this?", phone="+447700900999")
        client.force_login(front_desk)
        page = client.get(reverse("replies")).content.decode()
        assert "Not a client's number" in page
        assert 'name="text"' not in page

    def test_only_booking_roles_see_replies(self, client, jo, outsider):
        text_from(client, "Hello?")
        client.force_login(outsider)
        assert client.get(reverse("replies")).status_code == 403
        inbound = InboundMessage.objects.get()
        response = client.post(reverse("reply_send", args=[inbound.pk]), {"text": "Hi"})
        assert response.status_code == 403


class TestDeliveryStatus:
    def sent_text(self, booked):
        messages_send_due(now=NOW + timedelta(hours=3))
        text = OutboundMessage.objects.get(channel="sms", kind="confirmation")
        assert text.status == "sent"
        return text

    def status(self, client, text, status, **extra):
        return signed_post(
            client,
            "sms_status",
            {"MessageSid": text.provider_id, "MessageStatus": status, **extra},
        )

    def test_callbacks_update_the_text_and_never_move_it_back(self, client, booked):
        text = self.sent_text(booked)
        assert self.status(client, text, "delivered").status_code == 204
        self.status(client, text, "sent")  # late
        text.refresh_from_db()
        assert text.delivery == "delivered"

    def test_an_undelivered_text_says_why_and_a_landline_is_flagged(
        self, client, booked
    ):
        text = self.sent_text(booked)
        self.status(client, text, "undelivered", ErrorCode="30006")
        text.refresh_from_db()
        assert text.delivery == "undelivered"
        assert "30006" in text.last_error
        assert Client.objects.get(pk=booked.client_id).sms_unreachable

    def test_an_undelivered_reminder_goes_by_email_once_while_it_still_applies(
        self, client, booked
    ):
        messages_send_due(now=SESSION_AT - timedelta(hours=23))
        text = OutboundMessage.objects.filter(channel="sms", kind="reminder").latest(
            "due_at"
        )
        assert "Confirm (or reply C): " in text.body
        assert not OutboundMessage.objects.filter(channel="email", kind="reminder")

        self.status(client, text, "undelivered", ErrorCode="30008")
        self.status(client, text, "failed", ErrorCode="30008")  # a second callback
        text.refresh_from_db()
        assert (text.status, text.delivery) == ("sent", "failed")
        assert text.last_error.endswith("Sent by email instead.")
        [email] = OutboundMessage.objects.filter(channel="email", kind="reminder")
        assert (email.status, email.body, email.provider_id) == ("pending", "", "")
        messages_send_due(now=SESSION_AT - timedelta(hours=22))
        email.refresh_from_db()
        assert email.status == "sent"
        assert not Client.objects.get(pk=booked.client_id).sms_unreachable

    def test_an_undelivered_reminder_of_a_cancelled_appointment_sends_nothing(
        self, client, booked, front_desk
    ):
        messages_send_due(now=SESSION_AT - timedelta(hours=23))
        text = OutboundMessage.objects.filter(channel="sms", kind="reminder").latest(
            "due_at"
        )
        services.appointment_cancel(appointment=booked, reason="Ill", by=front_desk)
        self.status(client, text, "undelivered", ErrorCode="30008")
        messages_send_due(now=SESSION_AT - timedelta(hours=22))
        email = OutboundMessage.objects.get(channel="email", kind="reminder")
        assert email.status == "cancelled"

    def test_a_forged_callback_changes_nothing(self, client, booked):
        text = self.sent_text(booked)
        response = client.post(
            reverse("sms_status"),
            {"MessageSid": text.provider_id, "MessageStatus": "failed"},
            HTTP_X_TWILIO_SIGNATURE="forged",
        )
        assert response.status_code == 403
        text.refresh_from_db()
        assert text.delivery == "queued"
