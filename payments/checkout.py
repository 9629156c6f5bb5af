"""Deposits paid by card on Stripe Checkout, and card payments refunded through
Stripe (payments/stripe_api.py has the client). Every write here, like every write
to the ledger, is a service; the ledger rows themselves go through services.py.

How a deposit is taken:
- An online booking of a service with a deposit is held (awaiting deposit) for
  DEPOSIT_HOLD_MINUTES; the visitor is sent to the pay page, which opens a Checkout
  Session. The front desk can also email the pay page's link for a phone booking.
- Stripe's signed checkout.session.completed event records the deposit (method card
  online, reference the payment intent) and confirms a held appointment, whose
  confirmation messages go then. Each event is applied once, by its id.
- The beat's sweep (holds_release) expires the Checkout Sessions of holds that ran
  out and releases their time, which the waitlist is offered.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from appointments import deposit_links, hooks
from appointments import services as appointment_services
from appointments.models import Appointment
from core.roles import Capability, can
from payments import services, stripe_api
from payments.models import (
    CardCheckout,
    CardRefund,
    EntryKind,
    LedgerEntry,
    Method,
    StripeEvent,
)

logger = logging.getLogger(__name__)


class EventNotApplicable(Exception):
    """A verified event that names nothing of ours, of a type not handled, or
    without the fields it should have: answered 400, nothing changed."""


def pay_token(appointment: Appointment) -> str:
    return deposit_links.deposit_pay_token(appointment.pk)


def pay_url(appointment: Appointment) -> str:
    return deposit_links.deposit_pay_path(appointment.pk)


def appointment_for_token(token: str) -> Appointment | None:
    pk = deposit_links.appointment_id_for(token)
    if pk is None:
        return None
    return (
        Appointment.objects.select_related(
            "service", "location", "client", "practitioner__user"
        )
        .filter(pk=pk)
        .first()
    )


def deposit_paid_minor(appointment: Appointment) -> int:
    """Deposits paid on the appointment, in its location's currency (voided ones
    count their reversal)."""
    paid = LedgerEntry.objects.filter(
        appointment=appointment,
        kind=EntryKind.DEPOSIT,
        currency=appointment.location.currency,
    ).aggregate(minor=Sum("amount_minor"))["minor"]
    return paid or 0


def deposit_due_minor(appointment: Appointment) -> int:
    return max(appointment.service.deposit_minor - deposit_paid_minor(appointment), 0)


def pay_refusal(appointment: Appointment, now: datetime | None = None) -> str | None:
    """Why the deposit of this appointment cannot be paid by card now, or None."""
    now = now or timezone.now()
    if not stripe_api.enabled():
        return "Card payments are not set up: the deposit is paid at the desk."
    status = appointment.status
    ran_out = (
        status == Appointment.Status.AWAITING_DEPOSIT and appointment.held_until <= now
    ) or (
        # Released by the sweep: it keeps held_until, which only a hold has.
        status == Appointment.Status.CANCELLED and appointment.held_until is not None
    )
    if ran_out:
        return (
            "The time held for you ran out before the deposit was paid, and is "
            "free again: please book another time."
        )
    if status not in (
        Appointment.Status.AWAITING_DEPOSIT,
        Appointment.Status.BOOKED,
        Appointment.Status.CONFIRMED,
    ):
        return (
            f"This appointment is {appointment.get_status_display().lower()}: "
            "there is no deposit to pay."
        )
    if appointment.starts_at <= now:
        return "This appointment has begun: any deposit is paid at the desk."
    if deposit_due_minor(appointment) <= 0:
        return "The deposit is paid. Thank you."
    return None


def online_deposit_by_card(*, service) -> bool:
    """appointments' online_deposit_by_card hook."""
    return stripe_api.enabled() and service.deposit_minor > 0


def online_deposit_pay_url(*, appointment: Appointment) -> str:
    """appointments' online_deposit_pay_url hook."""
    return pay_url(appointment)


def checkout_start(*, appointment: Appointment) -> str:
    """Open a Stripe Checkout Session for the deposit still due; its URL, where the
    client pays. Raises ValidationError with the reason it cannot be paid, or
    stripe.StripeError when Stripe does not answer."""
    refusal = pay_refusal(appointment)
    if refusal:
        raise ValidationError(refusal)
    amount = deposit_due_minor(appointment)
    currency = appointment.location.currency
    # A second press of Pay (or the back button) returns to the session already
    # open for the same amount, so one deposit cannot be paid twice by accident.
    # Stripe keeps a session open for 24 hours.
    open_one = (
        CardCheckout.objects.filter(
            appointment=appointment,
            entry=None,
            amount_minor=amount,
            currency=currency,
            created_at__gte=timezone.now() - timedelta(hours=23),
        )
        .exclude(url="")
        .order_by("-created_at")
        .first()
    )
    if open_one is not None:
        return open_one.url
    token = pay_token(appointment)
    site = settings.SITE_URL
    when = appointment.local_starts_at()
    params = {
        "mode": "payment",
        # Card only: paid (or not) at once, never a payment confirmed days later.
        "payment_method_types": ["card"],
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": currency.lower(),
                    "unit_amount": amount,
                    "product_data": {
                        "name": f"Deposit: {appointment.service} on "
                        f"{when:%d %b %Y %H:%M} at {appointment.location}"[:250]
                    },
                },
            }
        ],
        "success_url": site + reverse("deposit_paid", args=[token]),
        "cancel_url": site + reverse("deposit_pay", args=[token]),
        "client_reference_id": str(appointment.pk),
        "metadata": {"appointment": str(appointment.pk)},
        "payment_intent_data": {"metadata": {"appointment": str(appointment.pk)}},
    }
    if appointment.client.email:
        params["customer_email"] = appointment.client.email
    session = stripe_api.client().v1.checkout.sessions.create(params=params)
    CardCheckout.objects.create(
        appointment=appointment,
        session_id=session.id,
        url=session.url,
        amount_minor=amount,
        currency=currency,
    )
    return session.url


@transaction.atomic
def event_apply(*, event_id: str, event_type: str, data: dict) -> bool:
    """Apply a verified Stripe event once: False if it was applied before.
    Raises EventNotApplicable (and changes nothing) for one that is not ours."""
    handler = HANDLERS.get(event_type)
    if handler is None:
        raise EventNotApplicable(f"Events of type {event_type} are not handled.")
    try:
        # A second delivery of the same event waits here until the first commits,
        # then finds its row: one ledger row however many deliveries.
        with transaction.atomic():
            StripeEvent.objects.create(event_id=event_id, type=event_type)
    except IntegrityError:
        return False
    try:
        handler(data)
    except (KeyError, TypeError, AttributeError) as error:
        raise EventNotApplicable(f"The event lacks {error}.") from error
    return True


def _checkout_completed(session: dict) -> None:
    checkout = (
        CardCheckout.objects.select_for_update()
        .select_related("appointment__location", "appointment__client")
        .filter(session_id=session["id"])
        .first()
    )
    if checkout is None:
        raise EventNotApplicable("No checkout of ours has that session.")
    if session["payment_status"] != "paid" or checkout.entry_id:
        return
    if session["currency"].upper() != checkout.currency:
        raise EventNotApplicable("The session was paid in another currency.")
    appointment = checkout.appointment
    if deposit_due_minor(appointment) < int(session["amount_total"]):
        # Paid on a tab left open after the deposit was taken another way: the
        # money is recorded, and the appointment page shows it to refund.
        logger.warning(
            "Deposit for appointment %s paid by card beyond what was due.",
            appointment.pk,
        )
    # The deposit row confirms a held appointment (services.entry_record), whose
    # confirmation messages are written then.
    checkout.entry = services.entry_record(
        kind=EntryKind.DEPOSIT,
        client=appointment.client,
        amount_minor=int(session["amount_total"]),
        method=Method.CARD_ONLINE,
        appointment=appointment,
        provider_reference=session["payment_intent"],
        recorded_by=None,
        check_role=False,
    )
    checkout.save(update_fields=["entry"])
    if appointment.status == Appointment.Status.CANCELLED:
        # Paid after the hold was released: the money is recorded, and the
        # appointment page shows it to refund.
        logger.warning(
            "Deposit paid for appointment %s after it was cancelled.", appointment.pk
        )


def _refund_updated(refund: dict) -> None:
    card_refund = (
        CardRefund.objects.select_for_update().filter(refund_id=refund["id"]).first()
    )
    if card_refund is None:
        raise EventNotApplicable("No refund of ours has that id.")
    _refund_status_apply(card_refund, refund["status"])


def _charge_refunded(charge: dict) -> None:
    refunds = (charge.get("refunds") or {}).get("data") or []
    known = {
        r.refund_id: r
        for r in CardRefund.objects.select_for_update().filter(
            refund_id__in=[refund["id"] for refund in refunds]
        )
    }
    if not known:
        raise EventNotApplicable("The charge names no refund of ours.")
    for refund in refunds:
        if refund["id"] in known:
            _refund_status_apply(known[refund["id"]], refund["status"])


HANDLERS = {
    "checkout.session.completed": _checkout_completed,
    "refund.updated": _refund_updated,
    "charge.refunded": _charge_refunded,
}


def _refund_status_apply(card_refund: CardRefund, status: str) -> None:
    """Record a refund in the ledger the first time Stripe says it succeeded; void
    that row if Stripe later says it failed (a refund can go from succeeded to
    failed when the card's bank returns it), so the money counts as kept and the
    payment may be refunded again."""
    if card_refund.status != status:
        card_refund.status = status
        card_refund.save(update_fields=["status"])
    if status in ("failed", "canceled") and card_refund.entry_id:
        if not LedgerEntry.objects.filter(reverses=card_refund.entry_id).exists():
            services.entry_void(
                entry=card_refund.entry,
                by=None,
                reason=f"Stripe reports this refund {status} after it succeeded.",
                check_role=False,
            )
        return
    if status != "succeeded" or card_refund.entry_id:
        return
    paid = card_refund.paid
    card_refund.entry = services.entry_record(
        kind=EntryKind.REFUND,
        client=paid.client,
        amount_minor=card_refund.amount_minor,
        method=Method.CARD_ONLINE,
        appointment=paid.appointment,
        plan=paid.plan,
        provider_reference=card_refund.refund_id,
        reason=card_refund.reason,
        recorded_by=card_refund.requested_by,
        check_role=False,
    )
    card_refund.save(update_fields=["entry"])


def refundable_minor(paid: LedgerEntry) -> int:
    """What of a card payment may still be refunded: its amount less the refunds
    asked of Stripe that have not failed."""
    asked = (
        CardRefund.objects.filter(paid=paid)
        .exclude(status__in=("failed", "canceled"))
        .aggregate(minor=Sum("amount_minor"))["minor"]
    )
    return paid.amount_minor - (asked or 0)


def refund_refusal(paid: LedgerEntry) -> str | None:
    if not stripe_api.enabled():
        return "Card refunds need Stripe set up (STRIPE_SECRET_KEY)."
    if (
        paid.method != Method.CARD_ONLINE
        or paid.kind not in (EntryKind.DEPOSIT, EntryKind.PAYMENT)
        or paid.is_reversal
        or not paid.provider_reference
    ):
        return "Only a card payment taken online is refunded to the card."
    if LedgerEntry.objects.filter(reverses=paid).exists():
        return "This payment was voided."
    if refundable_minor(paid) <= 0:
        return "This payment is refunded in full."
    return None


@transaction.atomic
def card_refund_request(
    *, paid: LedgerEntry, amount_minor: int, reason: str, by
) -> CardRefund:
    """A manager refunds (part of) a card payment through Stripe. The ledger's
    refund row is written when Stripe says the refund succeeded: at once if its
    answer says so, otherwise by its refund.updated or charge.refunded event."""
    if not can(by, Capability.MANAGEMENT):
        raise PermissionDenied("Only a manager refunds a payment.")
    reason = reason.strip()
    if not reason:
        raise ValidationError("Give the reason for the refund.")
    # Locked while Stripe is asked, so two refunds of one payment go in turn and
    # cannot together refund more than was paid.
    paid = LedgerEntry.objects.select_for_update().get(pk=paid.pk)
    refusal = refund_refusal(paid)
    if refusal:
        raise ValidationError(refusal)
    if not 0 < amount_minor <= refundable_minor(paid):
        raise ValidationError("Refund no more than was paid and not yet refunded.")
    import stripe  # on first use (stripe_api)

    try:
        refund = stripe_api.client().v1.refunds.create(
            params={
                "payment_intent": paid.provider_reference,
                "amount": amount_minor,
                "metadata": {"ledger_entry": str(paid.pk)},
            }
        )
    except stripe.StripeError as error:
        raise ValidationError(
            f"Stripe refused the refund: {error.user_message or 'try again later'}."
        ) from error
    card_refund = CardRefund.objects.create(
        paid=paid,
        refund_id=refund.id,
        amount_minor=amount_minor,
        reason=reason[:300],
        status=refund.status or "pending",
        requested_by=by,
    )
    _refund_status_apply(card_refund, refund.status or "pending")
    return card_refund


def _checkouts_closed(appointment: Appointment) -> bool:
    """Expire the open Checkout Sessions of a hold that ran out, so the client can
    no longer pay for a time given back. False if one was paid meanwhile (its event
    confirms the appointment) or Stripe could not be asked (the next sweep tries)."""
    open_ones = CardCheckout.objects.filter(appointment=appointment, entry=None)
    if not open_ones.exists():
        return True
    if not stripe_api.enabled():
        return True
    import stripe  # on first use (stripe_api)

    sessions = stripe_api.client().v1.checkout.sessions
    for checkout in open_ones:
        try:
            sessions.expire(checkout.session_id)
        except stripe.InvalidRequestError:
            # Expired already, or completed: ask which.
            try:
                if sessions.retrieve(checkout.session_id).status == "complete":
                    return False
            except stripe.StripeError:
                return False
        except stripe.StripeError:
            logger.warning(
                "Stripe did not expire a checkout of appointment %s; the next "
                "sweep tries again.",
                appointment.pk,
            )
            return False
    return True


def open_checkouts_expire(*, appointment: Appointment) -> None:
    """Expire, once the change commits, every Checkout Session of the appointment
    still open (Stripe keeps one payable for 24 hours): after its deposit was taken
    some other way (cash at the desk, another session) or the appointment was
    cancelled, a client paying the old tab would pay twice. The sweep's own
    _checkouts_closed does it and logs a failure; a payment that still arrives is
    recorded and shown to refund."""
    if stripe_api.enabled():  # without Stripe no session was ever opened
        transaction.on_commit(lambda: _checkouts_closed(appointment), robust=True)


def open_checkouts_expire_on_entry(*, sender, instance: LedgerEntry, created, **kw):
    """post_save of a ledger row: a deposit or payment for an appointment closes
    its other open sessions."""
    if (
        created
        and instance.appointment_id
        and instance.kind in (EntryKind.DEPOSIT, EntryKind.PAYMENT)
        and instance.amount_minor > 0
    ):
        open_checkouts_expire(appointment=instance.appointment)


def open_checkouts_expire_on_cancel(*, appointment: Appointment, **kw) -> None:
    """appointments' appointment_cancelled hook."""
    open_checkouts_expire(appointment=appointment)


def holds_release(*, now: datetime | None = None) -> int:
    """The beat's sweep: release the appointments whose deposit hold ran out
    unpaid (cancelled with the reason, their time offered to the waitlist)."""
    now = now or timezone.now()
    released = 0
    expired = Appointment.objects.filter(
        status=Appointment.Status.AWAITING_DEPOSIT, held_until__lte=now
    ).order_by("held_until")
    for appointment in expired:
        if not _checkouts_closed(appointment):
            continue
        if appointment_services.appointment_hold_release(
            appointment=appointment, now=now
        ):
            released += 1
    return released


def deposit_request_refusal(
    appointment: Appointment, *, paid_minor: int, now: datetime | None = None
) -> str | None:
    """Why the front desk cannot email a deposit link for this appointment now
    (`paid_minor`: the deposits it has, which the page has summed already)."""
    if not stripe_api.enabled():
        return (
            "Card deposits by email need Stripe set up (STRIPE_SECRET_KEY and "
            "STRIPE_WEBHOOK_SECRET): take the deposit at the desk."
        )
    if appointment.status == Appointment.Status.AWAITING_DEPOSIT:
        return "The client is paying it online now: the time is held until then."
    if appointment.status not in (
        Appointment.Status.BOOKED,
        Appointment.Status.CONFIRMED,
    ):
        return f"The appointment is {appointment.get_status_display().lower()}."
    if appointment.starts_at <= (now or timezone.now()):
        return "The appointment has begun: take the deposit at the desk."
    if appointment.service.deposit_minor - paid_minor <= 0:
        return "The deposit is paid."
    if not appointment.client.email:
        return f"{appointment.client} has no email address: add one first."
    return None


@transaction.atomic
def deposit_request_send(*, appointment: Appointment, by) -> int:
    """The front desk emails the client a link to pay the deposit by card (a phone
    booking): through the outbox, like every client email. The deposit due."""
    if not can(by, Capability.BOOKING):
        raise PermissionDenied("Your role cannot ask for a deposit.")
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    refusal = deposit_request_refusal(
        appointment, paid_minor=deposit_paid_minor(appointment)
    )
    if refusal:
        raise ValidationError(refusal)
    hooks.deposit_requested(appointment=appointment)
    return deposit_due_minor(appointment)
