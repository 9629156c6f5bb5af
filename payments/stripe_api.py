"""Stripe, through the official `stripe` library: on when STRIPE_SECRET_KEY and
STRIPE_WEBHOOK_SECRET are both set. No card data ever reaches the app: the client
pays on Stripe's hosted Checkout page, and Stripe's signed events say what happened.

STRIPE_API_BASE points the library at another server (the tests' local stand-in);
unset, it talks to Stripe itself.

The library is imported where Stripe is called, not when the app starts (as
messaging/sms.py imports twilio's client): with aiohttp under it, it is some 30 MB of
every web and worker process, which a clinic without card payments, and every
request that takes none, never uses (bench/RESULTS.md: the worker's peak memory).
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.conf import settings

if TYPE_CHECKING:
    import stripe

# Where Stripe's hosted Checkout pages are.
CHECKOUT_ORIGIN = "https://checkout.stripe.com"


def enabled() -> bool:
    return bool(settings.STRIPE_SECRET_KEY and settings.STRIPE_WEBHOOK_SECRET)


def client() -> stripe.StripeClient:
    import stripe

    base = settings.STRIPE_API_BASE.rstrip("/") if settings.STRIPE_API_BASE else None
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": base} if base else None,
        # One retry of a dropped connection; a slow Stripe is not waited on forever.
        max_network_retries=1,
        # requests is installed with twilio.
        http_client=stripe.RequestsClient(timeout=20),
    )


def event_verified(payload: bytes, signature: str) -> stripe.Event:
    """The event Stripe signed, or stripe.SignatureVerificationError / ValueError
    for a forged, stale (over five minutes) or malformed one."""
    import stripe

    return stripe.Webhook.construct_event(
        payload, signature, settings.STRIPE_WEBHOOK_SECRET
    )


def checkout_origins() -> list[str]:
    """Where the pay page's form may lead (its Content Security Policy's
    form-action): Stripe's Checkout, and a stand-in's origin if STRIPE_API_BASE
    names one (tests and local set-ups)."""
    origins = [CHECKOUT_ORIGIN]
    if settings.STRIPE_API_BASE:
        base = urlsplit(settings.STRIPE_API_BASE)
        origins.append(f"{base.scheme}://{base.netloc}")
    return origins
