"""Signed links in client emails: confirm, cancel or ask to reschedule an appointment,
accept a time offered from the waitlist, and unsubscribe. A link expires
(MESSAGE_LINK_MAX_AGE_DAYS), works once, shows a page on GET and acts only on POST.
Built from SITE_URL, never from a request's Host.

A text message carries a short signed link instead (/s/<code>/): the outbox row's id,
the action and a truncated HMAC, which leads to the same page as the email's link for
the time the message was written for."""

import base64
import hashlib
import hmac

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.crypto import salted_hmac

SALT = "smp_clinic.messaging.links"
ACTIONS = ("confirm", "cancel", "reschedule")


def _url(name: str, token: str) -> str:
    return settings.SITE_URL + reverse(name, args=[token])


def action_token(action: str, appointment, starts_at=None) -> str:
    # The start is signed too: a link from before a move does not act on the new time.
    at = starts_at or appointment.starts_at
    return signing.dumps(
        {"a": action, "id": appointment.pk, "at": at.isoformat()},
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


# Short links' actions, one letter each.
SHORT_ACTIONS = {"c": "confirm", "x": "cancel", "r": "reschedule", "w": "waitlist"}
_SHORT_LETTERS = {action: letter for letter, action in SHORT_ACTIONS.items()}
# 60 bits of HMAC: a guess is one in 10^18, and the pages behind ask again on POST.
SHORT_MAC_CHARS = 10


def _short_mac(value: str) -> str:
    digest = salted_hmac(SALT + ".short", value).digest()
    return base64.urlsafe_b64encode(digest).decode()[:SHORT_MAC_CHARS]


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out


def short_code(message_id: int, action: str) -> str:
    value = _base36(message_id) + _SHORT_LETTERS[action]
    return value + _short_mac(value)


def short_url(message_id: int, action: str) -> str:
    return settings.SITE_URL + reverse(
        "short_link", args=[short_code(message_id, action)]
    )


def short_read(code: str) -> tuple[int, str] | None:
    """(message id, action) of a genuine short code, else None."""
    if len(code) < SHORT_MAC_CHARS + 2:
        return None
    value, mac = code[:-SHORT_MAC_CHARS], code[-SHORT_MAC_CHARS:]
    if not hmac.compare_digest(mac, _short_mac(value)):
        return None
    action = SHORT_ACTIONS.get(value[-1])
    try:
        message_id = int(value[:-1], 36)
    except ValueError:
        return None
    if action is None:
        return None
    return message_id, action
