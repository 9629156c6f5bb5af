"""Every write to the ledger. Rows are only ever added: a payment recorded, or a
reversing row that voids one (a manager, with a reason)."""

import contextlib
from collections.abc import Iterator
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from appointments import services as appointment_services
from appointments.models import Appointment, Location
from clients.models import Client
from core.money import part_of
from core.roles import Capability, can
from payments import hooks
from payments.models import (
    DESK_METHODS,
    CardCheckout,
    CardRefund,
    Document,
    DocumentCounter,
    DocumentKind,
    EntryKind,
    LedgerEntry,
)
from treatments.models import TreatmentPlan

# What the front desk records; the rest (refunds, discounts, write-offs) are a
# manager's decision.
DESK_KINDS = (EntryKind.PAYMENT, EntryKind.DEPOSIT)
MANAGER_KINDS = (*DESK_KINDS, EntryKind.REFUND, EntryKind.DISCOUNT, EntryKind.WRITE_OFF)


def kinds_for(user) -> tuple[str, ...]:
    if can(user, Capability.MANAGEMENT):
        return MANAGER_KINDS
    if can(user, Capability.BOOKING):
        return DESK_KINDS
    return ()


def _where(
    *, client: Client, appointment: Appointment | None, plan: TreatmentPlan | None
) -> tuple[Location, str]:
    """The location (for its currency and numbering) of what is paid for."""
    if appointment is not None:
        if appointment.client_id != client.pk:
            raise ValidationError("That appointment is another client's.")
        return appointment.location, appointment.location.currency
    if plan is not None:
        if plan.client_id != client.pk:
            raise ValidationError("That plan is another client's.")
        # The clinic of the plan's latest booked session, else its practitioner's.
        session = (
            plan.sessions.filter(appointment__isnull=False)
            .select_related("appointment__location")
            .order_by("-number")
            .first()
        )
        location = (
            session.appointment.location
            if session
            else plan.practitioner.locations.order_by("pk").first()
        )
        if location is None:
            raise ValidationError("The plan's practitioner works at no location.")
        return location, plan.currency
    raise ValidationError("Say what the payment is for: an appointment or a plan.")


@transaction.atomic
def entry_record(
    *,
    kind: str,
    client: Client,
    amount_minor: int,
    recorded_by,
    method: str = "",
    appointment: Appointment | None = None,
    plan: TreatmentPlan | None = None,
    provider_reference: str = "",
    reason: str = "",
    check_role: bool = True,
    recorded_at: datetime | None = None,
    email_receipt: bool = True,
) -> LedgerEntry:
    """Add one row to the ledger, for an appointment or a plan of the client, in
    the currency of where it is given. `check_role`: a person records only the
    kinds their role allows (the system, confirming a card payment, passes False).
    `recorded_at`: when the money was taken, if not now (the demo's history);
    `email_receipt`: False where the receipt went at the time (the demo's history)."""
    if check_role and kind not in kinds_for(recorded_by):
        raise PermissionDenied("Your role cannot record that.")
    if amount_minor <= 0:
        raise ValidationError("The amount must be above zero.")
    desk_money = kind in (EntryKind.PAYMENT, EntryKind.DEPOSIT, EntryKind.REFUND)
    if desk_money and check_role and method not in DESK_METHODS:
        raise ValidationError("Choose how the money was paid at the desk.")
    if plan is None and appointment is not None:
        plan = _plan_of(appointment)
    location, currency = _where(client=client, appointment=appointment, plan=plan)
    entry = LedgerEntry(
        kind=kind,
        amount_minor=amount_minor,
        currency=currency,
        method=method,
        provider_reference=provider_reference.strip(),
        client=client,
        appointment=appointment,
        plan=plan,
        location=location,
        reason=reason.strip(),
        recorded_by=recorded_by,
        recorded_at=recorded_at or timezone.now(),
    )
    entry.full_clean()
    entry.save()
    if kind in (EntryKind.DEPOSIT, EntryKind.PAYMENT):
        receipt_issue(entry=entry, email=email_receipt)
    if (
        kind == EntryKind.DEPOSIT
        and appointment is not None
        and appointment.status == Appointment.Status.AWAITING_DEPOSIT
    ):
        # A booking held for its deposit (card online, or paid at the desk on the
        # phone meanwhile) is confirmed by it.
        appointment_services.appointment_deposit_paid(appointment=appointment)
    return entry


def _plan_of(appointment: Appointment) -> TreatmentPlan | None:
    """A course session's payments count towards its course."""
    return (
        TreatmentPlan.objects.filter(sessions__appointment=appointment)
        .exclude(price_minor=0)
        .first()
    )


@contextlib.contextmanager
def ledger_purge_allowed() -> Iterator[None]:
    """Within the current transaction, let the retention purge delete ledger rows:
    the PostgreSQL trigger reads this transaction-local setting."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('smp.ledger_purge', 'on', true)")
    try:
        yield
    finally:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('smp.ledger_purge', '', true)")


@transaction.atomic
def client_ledger_purge(*, client_ids: list[int]) -> int:
    """The retention purge only: the ledger rows of clients deleted with all they
    own once the retention period (longer than the accounts must be kept) is over.
    Reversals go first, as each protects the row it reverses."""
    # Their receipts and invoices first: each protects the row it was issued for;
    # so do the card checkouts and refunds that recorded them.
    Document.objects.filter(client__in=client_ids).delete()
    CardRefund.objects.filter(paid__client__in=client_ids).delete()
    CardCheckout.objects.filter(appointment__client__in=client_ids).delete()
    rows = LedgerEntry.objects.filter(client__in=client_ids)
    with ledger_purge_allowed():
        deleted = rows.filter(reverses__isnull=False).delete()[0]
        return deleted + rows.delete()[0]


@transaction.atomic
def entry_void(
    *, entry: LedgerEntry, by, reason: str, check_role: bool = True
) -> LedgerEntry:
    """Cancel an entry by adding its reversal: the same kind and place, the amount
    negated, with a reason. A manager's decision (or the system's, check_role=False:
    Stripe undoing a refund it had reported done); an entry is voided once."""
    if check_role and not can(by, Capability.MANAGEMENT):
        raise PermissionDenied("Only a manager voids an entry.")
    reason = reason.strip()
    if not reason:
        raise ValidationError("Give the reason for voiding it.")
    # Locked, so two managers voiding at once make one reversal, not a violation.
    entry = LedgerEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.is_reversal:
        raise ValidationError("A reversal cannot itself be voided; record anew.")
    if LedgerEntry.objects.filter(reverses=entry).exists():
        raise ValidationError("This entry is voided already.")
    reversal = LedgerEntry(
        kind=entry.kind,
        amount_minor=-entry.amount_minor,
        currency=entry.currency,
        method=entry.method,
        provider_reference=entry.provider_reference,
        client_id=entry.client_id,
        appointment_id=entry.appointment_id,
        plan_id=entry.plan_id,
        location_id=entry.location_id,
        reason=reason,
        reverses=entry,
        recorded_by=by,
    )
    reversal.full_clean()
    reversal.save()
    return reversal


# The cancellation policy: a deposit is refundable until the location's
# deposit_refundable_hours before the appointment; a later cancellation by the client,
# or a no-show, forfeits it. A cancellation by the clinic never does.


def forfeit_reason(appointment: Appointment, *, now) -> str | None:
    """Why a cancellation by the client at `now` forfeits the deposit, or None."""
    hours = appointment.location.deposit_refundable_hours
    notice = appointment.starts_at - now
    if notice >= timedelta(hours=hours):
        return None
    given = max(int(notice.total_seconds() // 3600), 0)
    return (
        f"Cancelled {given} hour{'s' if given != 1 else ''} before: deposits are "
        f"refundable until {hours} hours before."
    )


def _deposit_forfeit(
    appointment: Appointment, reason: str, *, at: datetime | None = None
) -> LedgerEntry | None:
    """Keep what was paid as deposit on the appointment (and not forfeited yet)."""
    sums = {
        row["kind"]: row["minor"]
        for row in LedgerEntry.objects.filter(
            appointment=appointment, currency=appointment.location.currency
        )
        .values("kind")
        .annotate(minor=Sum("amount_minor"))
        .order_by()
    }
    kept = sums.get(EntryKind.DEPOSIT, 0) - sums.get(EntryKind.FORFEIT, 0)
    if kept <= 0:
        return None
    entry = LedgerEntry(
        kind=EntryKind.FORFEIT,
        amount_minor=kept,
        currency=appointment.location.currency,
        client_id=appointment.client_id,
        appointment=appointment,
        plan=_plan_of(appointment),
        location=appointment.location,
        reason=reason,
        recorded_at=at or timezone.now(),
    )
    entry.full_clean()
    entry.save()
    return entry


def deposit_forfeit_on_cancel(
    *, appointment: Appointment, by_client: bool, now: datetime | None = None
) -> LedgerEntry | None:
    """appointments' appointment_cancelled hook: a late cancellation by the client
    forfeits the deposit, in the cancellation's transaction. `now`: when the client
    cancelled, if not now (the demo's history)."""
    if not by_client:
        return None
    now = now or timezone.now()
    reason = forfeit_reason(appointment, now=now)
    return _deposit_forfeit(appointment, reason, at=now) if reason else None


def deposit_forfeit_on_missed(
    *, appointment: Appointment, now: datetime | None = None
) -> LedgerEntry | None:
    """appointments' appointment_missed hook: a no-show forfeits the deposit."""
    return _deposit_forfeit(appointment, "No-show: the deposit is kept.", at=now)


@transaction.atomic
def deposit_forfeit_waive(*, entry: LedgerEntry, by, reason: str) -> LedgerEntry:
    """A manager gives a forfeited deposit back to the client's credit (a reversal
    of the forfeit, with the reason): it is then owed back, or kept for a rebooking."""
    if entry.kind != EntryKind.FORFEIT:
        raise ValidationError("Only a forfeited deposit can be waived.")
    return entry_void(entry=entry, by=by, reason=reason)


# Receipts and invoices.


def _number_next(*, location: Location, kind: str) -> int:
    """The next number of the location's sequence, taken under a row lock in the
    caller's transaction (DocumentCounter says why)."""
    DocumentCounter.objects.get_or_create(location=location, kind=kind)
    counter = DocumentCounter.objects.select_for_update().get(
        location=location, kind=kind
    )
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number


def _issue(**fields) -> Document:
    location = fields["location"]
    document = Document(
        number=_number_next(location=location, kind=fields["kind"]),
        tax_rate=location.tax_rate,
        tax_minor=part_of(fields["total_minor"], location.tax_rate),
        **fields,
    )
    document.full_clean()
    document.save()
    return document


@transaction.atomic
def receipt_issue(*, entry: LedgerEntry, email: bool = True) -> Document:
    """A receipt for money received (a deposit or a payment), numbered in its
    location's sequence, and emailed to the client (through the outbox)."""
    if entry.kind not in (EntryKind.DEPOSIT, EntryKind.PAYMENT) or entry.is_reversal:
        raise ValidationError("A receipt is for a deposit or a payment received.")
    if Document.objects.filter(entry=entry).exists():
        raise ValidationError("This payment has its receipt already.")
    what = (
        entry.appointment.service if entry.appointment_id else f"course: {entry.plan}"
    )
    receipt = _issue(
        kind=DocumentKind.RECEIPT,
        location=entry.location,
        client_id=entry.client_id,
        entry=entry,
        appointment_id=entry.appointment_id,
        plan_id=entry.plan_id,
        description=f"{entry.get_kind_display()} for {what}"[:300],
        currency=entry.currency,
        total_minor=entry.amount_minor,
        issued_by=entry.recorded_by,
        issued_at=entry.recorded_at,
    )
    if email:
        hooks.document_to_send(document=receipt)
    return receipt


@transaction.atomic
def document_email(*, document: Document, by) -> bool:
    """Email a receipt or an issued invoice to its client again, or for the first
    time (the front desk asks from the page). Once per document: False when its
    email was written already."""
    if not can(by, Capability.BOOKING):
        raise PermissionDenied("Your role cannot send that.")
    if not document.client.email:
        raise ValidationError("The client has no email address.")
    return any(hooks.document_to_send(document=document))


@transaction.atomic
def invoice_issue(
    *,
    appointment: Appointment | None = None,
    plan: TreatmentPlan | None = None,
    by,
    issued_at: datetime | None = None,
) -> Document:
    """The invoice for an appointment (its service's price) or a course (its
    price): one each, numbered in the location's sequence."""
    if appointment is not None:
        if appointment.status in (
            Appointment.Status.CANCELLED,
            Appointment.Status.NO_SHOW,
        ):
            raise ValidationError("A cancelled or missed appointment is not invoiced.")
        if _plan_of(appointment) is not None:
            raise ValidationError("A course session is invoiced with its course.")
        if Document.objects.filter(kind="invoice", appointment=appointment).exists():
            raise ValidationError("This appointment has its invoice already.")
        price = appointment.service.price_minor
        location, currency = appointment.location, appointment.location.currency
        when = appointment.local_starts_at()
        description = f"{appointment.service} on {when:%d %b %Y}"
        client_id = appointment.client_id
    elif plan is not None:
        if Document.objects.filter(
            kind="invoice", plan=plan, appointment__isnull=True
        ).exists():
            raise ValidationError("This course has its invoice already.")
        price = plan.course_price.minor
        location, currency = _where(client=plan.client, appointment=None, plan=plan)
        description = f"SMP course: {plan} ({plan.sessions_planned} sessions)"
        client_id = plan.client_id
    else:
        raise ValidationError("Say what to invoice.")
    if price <= 0:
        raise ValidationError("It has no price to invoice.")
    return _issue(
        kind=DocumentKind.INVOICE,
        location=location,
        client_id=client_id,
        appointment=appointment,
        plan=plan,
        description=description[:300],
        currency=currency,
        total_minor=price,
        issued_by=by,
        issued_at=issued_at or timezone.now(),
    )
