"""The demo's ledger for `seed_demo`: what a clinic's books look like after a few
months, so the revenue reports and the accounting export show something real.

Every row goes through the payments services (receipts numbered as they would be),
dated when the money changed hands. It covers a fixed sample of the recent history
whatever the scale, so the large scale's million appointments cost no more time
than the small one's two thousand.
"""

import random
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from appointments.models import Appointment
from payments import services
from payments.models import DESK_METHODS, Document, EntryKind
from treatments.models import PlanStatus, TreatmentPlan

# How far back the ledger reaches: the reports' default period, twelve weeks and more.
LEDGER_DAYS = 91
# Past appointments with a ledger: a sample of the history in those days.
SAMPLE = 400
# Upcoming bookings whose deposit was paid: deposits held.
UPCOMING_DEPOSITS = 12


def _record(**fields):
    # History: its receipts went to the clients at the time, so none is emailed now.
    return services.entry_record(email_receipt=False, **fields)


def seed_ledger(*, rng: random.Random, today: date, desk, manager) -> int:
    """Deposits on bookings, desk payments for completed appointments (mixed
    methods), refunds for early cancellations, forfeits for late ones and for
    no-shows, discounts, a write-off, course payments and invoices. Returns the
    number of ledger rows written."""
    zone = timezone.get_current_timezone()
    midnight = datetime.combine(today, time(0), tzinfo=zone)
    past = list(
        Appointment.objects.filter(
            starts_at__gte=midnight - timedelta(days=LEDGER_DAYS),
            starts_at__lt=midnight,
            service__price_minor__gt=0,
            treatment_session__isnull=True,  # course sessions are paid on their course
        )
        .select_related("service", "location", "client")
        .order_by("starts_at", "pk")
    )
    # Treatments (with their deposits) are most of a clinic's takings, though the
    # history has more patch tests: two thirds of the sample are treatments.
    treatments = [a for a in past if a.service.deposit_minor]
    others = [a for a in past if not a.service.deposit_minor]
    chosen = rng.sample(treatments, min(SAMPLE * 2 // 3, len(treatments)))
    chosen += rng.sample(others, min(SAMPLE - len(chosen), len(others)))
    chosen.sort(key=lambda a: (a.starts_at, a.pk))
    written = 0
    for number, appointment in enumerate(chosen):
        written += _appointment_ledger(
            appointment, number=number, rng=rng, desk=desk, manager=manager
        )
    written += _upcoming_deposits(rng=rng, midnight=midnight, desk=desk)
    written += _course_payments(rng=rng, desk=desk, manager=manager)
    return written


def _method(rng: random.Random) -> str:
    # Most pay by card at the terminal; some in cash, a few by bank transfer.
    return rng.choices(DESK_METHODS, weights=(7, 2, 1))[0]


def _appointment_ledger(appointment, *, number, rng, desk, manager) -> int:
    service = appointment.service
    deposit = service.deposit_minor
    deposit_at = appointment.starts_at - timedelta(days=rng.randint(3, 20))
    written = 0
    if deposit and rng.random() < 0.85:
        _record(
            kind=EntryKind.DEPOSIT,
            client=appointment.client,
            appointment=appointment,
            amount_minor=deposit,
            method=_method(rng),
            recorded_by=desk,
            recorded_at=deposit_at,
        )
        written += 1
    else:
        deposit = 0
    status = appointment.status
    if status == Appointment.Status.NO_SHOW:
        late = services.deposit_forfeit_on_missed(
            appointment=appointment, now=appointment.ends_at + timedelta(hours=1)
        )
        return written + (late is not None)
    if status == Appointment.Status.CANCELLED:
        if not deposit:
            return written
        # Half cancelled in good time (the deposit refunded), half too late.
        if number % 2:
            cancelled_at = appointment.starts_at - timedelta(hours=rng.randint(6, 40))
            late = services.deposit_forfeit_on_cancel(
                appointment=appointment, by_client=True, now=cancelled_at
            )
            return written + (late is not None)
        _record(
            kind=EntryKind.REFUND,
            client=appointment.client,
            appointment=appointment,
            amount_minor=deposit,
            method=DESK_METHODS[0],
            reason="Cancelled more than 48 hours before: deposit refunded.",
            recorded_by=manager,
            recorded_at=appointment.starts_at - timedelta(days=3),
        )
        return written + 1
    # Completed: paid at the desk after it, less any discount; a few still owe.
    paid_at = appointment.ends_at + timedelta(minutes=10)
    left = service.price_minor - deposit
    if number % 23 == 5:
        discount = service.price_minor // 10
        _record(
            kind=EntryKind.DISCOUNT,
            client=appointment.client,
            appointment=appointment,
            amount_minor=discount,
            reason="Returning client: 10% off.",
            recorded_by=manager,
            recorded_at=paid_at,
        )
        left -= discount
        written += 1
    if number % 31 == 7:
        _record(
            kind=EntryKind.WRITE_OFF,
            client=appointment.client,
            appointment=appointment,
            amount_minor=left,
            reason="Goodwill after a late start.",
            recorded_by=manager,
            recorded_at=paid_at,
        )
        return written + 1
    if number % 13 == 3 or left <= 0:
        return written  # still owed: outstanding balances
    _record(
        kind=EntryKind.PAYMENT,
        client=appointment.client,
        appointment=appointment,
        amount_minor=left,
        method=_method(rng),
        recorded_by=desk,
        recorded_at=paid_at,
    )
    if number % 4 == 0:
        services.invoice_issue(appointment=appointment, by=desk, issued_at=paid_at)
    return written + 1


def _upcoming_deposits(*, rng, midnight, desk) -> int:
    upcoming = list(
        Appointment.objects.filter(
            starts_at__gte=midnight,
            status__in=Appointment.BLOCKING,
            service__deposit_minor__gt=0,
            treatment_session__isnull=True,
        )
        .select_related("service", "location", "client")
        .order_by("starts_at", "pk")[:UPCOMING_DEPOSITS]
    )
    now = timezone.now()
    for appointment in upcoming:
        _record(
            kind=EntryKind.DEPOSIT,
            client=appointment.client,
            appointment=appointment,
            amount_minor=appointment.service.deposit_minor,
            method=_method(rng),
            recorded_by=desk,
            recorded_at=min(now, appointment.created_at + timedelta(minutes=5)),
        )
    return len(upcoming)


def _course_payments(*, rng, desk, manager) -> int:
    """A course is paid a deposit when booked, the rest as its sessions are held; a
    completed course is paid in full and invoiced."""
    written = 0
    plans = (
        TreatmentPlan.objects.filter(
            price_minor__gt=0, sessions__appointment__isnull=False
        )
        .distinct()
        .select_related("client", "practitioner")
        .order_by("pk")
    )
    for plan in plans:
        first = (
            plan.sessions.filter(appointment__isnull=False)
            .select_related("appointment")
            .order_by("number")
            .first()
            .appointment
        )
        booked_at = min(first.created_at, first.starts_at - timedelta(days=7))
        price = plan.course_price.minor
        deposit = price // 5
        _record(
            kind=EntryKind.DEPOSIT,
            client=plan.client,
            plan=plan,
            amount_minor=deposit,
            method=_method(rng),
            recorded_by=desk,
            recorded_at=booked_at,
        )
        written += 1
        if plan.status == PlanStatus.COMPLETED:
            _record(
                kind=EntryKind.PAYMENT,
                client=plan.client,
                plan=plan,
                amount_minor=price - deposit,
                method=_method(rng),
                recorded_by=desk,
                recorded_at=first.ends_at,
            )
            if not Document.objects.filter(
                kind=Document.Kind.INVOICE, plan=plan, appointment__isnull=True
            ).exists():
                services.invoice_issue(plan=plan, by=manager, issued_at=first.ends_at)
            written += 1
    return written
