"""Signed links in client emails: confirm, cancel or ask to reschedule an appointment,
accept a time offered from the waitlist, and unsubscribe. A link expires
(MESSAGE_LINK_MAX_AGE_DAYS), works once, shows a page on GET and acts only on POST.
Built from SITE_URL, never from a request's Host."""

import hashlib

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "smp_clinic.messaging.links"
ACTIONS = ("confirm", "cancel", "reschedule")


def _url(name: str, token: str) -> str:
    return settings.SITE_URL + reverse(name, args=[token])


def action_token(action: str, appointment) -> str:
    # The start is signed too: a link from before a move does not act on the new time.
    return signing.dumps(
        {"a": action, "id": appointment.pk, "at": appointment.starts_at.isoformat()},
        salt=SALT,
        compress=True,
    )


def action_url(action: str, appointment) -> str:
    return _url("message_link", action_token(action, appointment))


def waitlist_token(offer) -> str:
    return signing.dumps({"a": "waitlist", "offer": offer.pk}, salt=SALT)


def waitlist_url(offer) -> str:
    return _url("waitlist_offer_link", waitlist_token(offer))


def unsubscribe_token(client) -> str:
    return signing.dumps({"a": "unsubscribe", "client": client.pk}, salt=SALT)


def unsubscribe_url(client) -> str:
    return _url("unsubscribe", unsubscribe_token(client))


def read(token: str, *, max_age_days: int | None = None) -> dict:
    """The signed payload; raises signing.BadSignature (SignatureExpired too)."""
    days = settings.MESSAGE_LINK_MAX_AGE_DAYS if max_age_days is None else max_age_days
    return signing.loads(token, salt=SALT, max_age=days * 24 * 3600)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
