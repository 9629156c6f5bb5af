"""Sending a text message, chosen by SMS_BACKEND like Django's EMAIL_BACKEND.

FileBackend (the embedded default) writes one plain-text file per message under
SMS_FILE_PATH (var/sms/) that a person can read; TwilioBackend sends through the
official `twilio` library. A backend's `send` returns the provider's id for the
message (its status callbacks name it) or raises:
- Unreachable: the number cannot take texts (a landline, an invalid number); the
  outbox flags the client and sends the message by email instead;
- OptedOut: the carrier has the number opted out (it replied STOP);
- anything else: the outbox retries with backoff, then lists it as failed.
"""

import secrets
from pathlib import Path

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string


class Unreachable(Exception):
    """The number cannot receive text messages."""


class OptedOut(Exception):
    """The number has opted out of text messages at the carrier."""


def backend():
    return import_string(settings.SMS_BACKEND)()


class FileBackend:
    """One .txt file per message: who to, from, when, which outbox row, the text."""

    def send(self, *, to: str, body: str, reference: str) -> str:
        directory = Path(settings.SMS_FILE_PATH)
        directory.mkdir(parents=True, exist_ok=True)
        sid = "SMfile" + secrets.token_hex(13)
        now = timezone.now()
        path = directory / f"{now:%Y%m%d-%H%M%S}-{reference}-{sid[-6:]}.txt"
        path.write_text(
            f"To: {to}\n"
            f"From: {settings.TWILIO_FROM or settings.CLINIC_NAME}\n"
            f"Date: {now.isoformat(timespec='seconds')}\n"
            f"Message: {reference}\n"
            f"Id: {sid}\n"
            f"Characters: {len(body)}\n"
            "\n"
            f"{body}\n",
            encoding="utf-8",
        )
        return sid


# Twilio's error codes for a number that cannot take texts, and for one opted out.
# https://www.twilio.com/docs/api/errors
UNREACHABLE_CODES = {21211, 21214, 21407, 21408, 21612, 21614}
OPTED_OUT_CODES = {21610}


def twilio_client():
    from twilio.rest import Client

    client = Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN)
    if settings.TWILIO_API_BASE_URL:
        client.api.base_url = settings.TWILIO_API_BASE_URL.rstrip("/")
    return client


class TwilioBackend:
    def __init__(self):
        self.client = twilio_client()

    def send(self, *, to: str, body: str, reference: str) -> str:
        from twilio.base.exceptions import TwilioRestException

        sender = (
            {"messaging_service_sid": settings.TWILIO_MESSAGING_SERVICE_SID}
            if settings.TWILIO_MESSAGING_SERVICE_SID
            else {"from_": settings.TWILIO_FROM}
        )
        try:
            message = self.client.messages.create(
                to=to,
                body=body,
                # Delivery status comes back here (messaging/webhooks.py).
                status_callback=settings.SITE_URL + reverse("sms_status"),
                **sender,
            )
        except TwilioRestException as error:
            if error.code in UNREACHABLE_CODES:
                raise Unreachable(f"Twilio {error.code}: {error.msg}") from error
            if error.code in OPTED_OUT_CODES:
                raise OptedOut(f"Twilio {error.code}: {error.msg}") from error
            raise
        return message.sid
