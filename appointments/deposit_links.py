"""The signed link at which a client pays an appointment's deposit by card.

payments serves the page at it (and opens Stripe Checkout from there); messaging
puts it in the front desk's deposit request email. Both are above appointments and
beside each other, so the link lives here, below both."""

from datetime import timedelta

from django.core import signing
from django.urls import reverse

SALT = "deposit-pay"
# Long enough for a request emailed a fortnight before; a held online booking's
# own time limit is its hold, not this.
MAX_AGE = timedelta(days=14)


def deposit_pay_token(appointment_id: int) -> str:
    return signing.dumps(appointment_id, salt=SALT)


def deposit_pay_path(appointment_id: int) -> str:
    return reverse("deposit_pay", args=[deposit_pay_token(appointment_id)])


def appointment_id_for(token: str) -> int | None:
    try:
        return signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        return None
