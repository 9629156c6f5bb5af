"""Reads of the ledger, scoped to who asks, and balances: always sums of rows."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.shortcuts import get_object_or_404

from appointments.models import Appointment
from clients.models import Client
from core.money import Money
from core.roles import Capability, can, refuse_erased
from payments.models import Document, EntryKind, LedgerEntry
from treatments.models import PriceBasis, TreatmentPlan, TreatmentSession

RECEIVED = (EntryKind.DEPOSIT, EntryKind.PAYMENT)


@dataclass
class Sums:
    """What the ledger rows of one thing add up to, in one currency."""

    currency: str
    received: int = 0  # deposits and payments, less refunds
    credited: int = 0  # discounts and write-offs
    forfeited: int = 0  # deposits kept on a late cancellation or no-show
    deposits: int = 0  # deposits, net of their reversals

    def add(self, kind: str, minor: int) -> None:
        if kind in RECEIVED:
            self.received += minor
        elif kind == EntryKind.REFUND:
            self.received -= minor
        elif kind in (EntryKind.DISCOUNT, EntryKind.WRITE_OFF):
            self.credited += minor
        elif kind == EntryKind.FORFEIT:
            self.forfeited += minor
        if kind == EntryKind.DEPOSIT:
            self.deposits += minor

    def money(self, minor: int) -> Money:
        return Money(minor, self.currency)


def sums_of(entries: QuerySet[LedgerEntry], currency: str) -> Sums:
    sums = Sums(currency)
    for row in (
        entries.filter(currency=currency)
        .values("kind")
        .annotate(minor=Sum("amount_minor"))
        .order_by()
    ):
        sums.add(row["kind"], row["minor"])
    return sums


@dataclass
class AppointmentMoney:
    price: Money
    charged: Money
    received: Money
    credited: Money
    forfeited: Money
    deposits: Money
    balance: Money  # above zero: the client owes; below: the clinic owes them
    course: TreatmentPlan | None
    entries: list = field(default_factory=list)


def course_of(appointment: Appointment) -> TreatmentPlan | None:
    """The priced course an appointment is a session of: it is charged there."""
    session = (
        TreatmentSession.objects.filter(appointment=appointment, plan__isnull=False)
        .select_related("plan")
        .first()
    )
    if session and session.plan.price_minor:
        return session.plan
    return None


def appointment_money(appointment: Appointment) -> AppointmentMoney:
    """What the appointment costs, what was paid and what is left. A cancelled or
    missed appointment costs only the deposit it forfeited; a course session is
    charged on its course."""
    currency = appointment.location.currency
    entries = LedgerEntry.objects.filter(appointment=appointment)
    sums = sums_of(entries, currency)
    course = course_of(appointment)
    price = appointment.service.price_minor
    live = appointment.status not in (
        Appointment.Status.CANCELLED,
        Appointment.Status.NO_SHOW,
    )
    charged = (price if live and course is None else 0) + sums.forfeited
    balance = charged - sums.received - sums.credited
    if course is not None:
        # Paid towards the course; the course's page says what is left.
        balance = 0 if sums.received >= 0 else -sums.received
    return AppointmentMoney(
        price=Money(price, currency),
        charged=Money(charged, currency),
        received=sums.money(sums.received),
        credited=sums.money(sums.credited),
        forfeited=sums.money(sums.forfeited),
        deposits=sums.money(sums.deposits),
        balance=Money(balance, currency),
        course=course,
        entries=list(_with_reversal(entries.select_related("recorded_by"))),
    )


@dataclass
class PlanMoney:
    price: Money
    received: Money
    credited: Money
    due: Money  # what is left to pay for the whole course
    owed: Money  # the part of it owed now (sessions given, or the package begun)


def plan_money(plan: TreatmentPlan) -> PlanMoney:
    sums = sums_of(LedgerEntry.objects.filter(plan=plan), plan.currency)
    price = plan.course_price.minor
    completed = plan.sessions.filter(
        appointment__status=Appointment.Status.COMPLETED
    ).count()
    paid = sums.received + sums.credited
    return PlanMoney(
        price=Money(price, plan.currency),
        received=sums.money(sums.received),
        credited=sums.money(sums.credited),
        due=Money(max(price - paid, 0), plan.currency),
        owed=Money(
            plan_owed_now(
                price_basis=plan.price_basis,
                price_minor=plan.price_minor,
                sessions_planned=plan.sessions_planned,
                completed=completed,
                sums=sums,
            ),
            plan.currency,
        ),
    )


def completed_sessions() -> Count:
    """A plan's sessions held, as an annotation (one query for many plans)."""
    return Count(
        "sessions", filter=Q(sessions__appointment__status=Appointment.Status.COMPLETED)
    )


def plan_owed_now(
    *, price_basis: str, price_minor: int, sessions_planned: int, completed: int, sums
) -> int:
    """What a course's client owes now: the sessions given (or the whole package
    once its first is done), less what was paid or credited. Shared by the plan's
    page and the outstanding balances report (payments/reports.py)."""
    if price_basis == PriceBasis.COURSE:
        delivered = price_minor if completed else 0
    else:
        delivered = price_minor * completed
    return max(delivered - sums.received - sums.credited, 0)


def appointment_owed(*, price_minor: int, completed: bool, sums: Sums) -> int:
    """What a client owes for an appointment outside a priced course: its price
    once given (a missed or cancelled one only the deposit it forfeited), less what
    was paid or credited; never below zero (a credit is the clinic's to refund)."""
    price = price_minor if completed else 0
    return max(price + sums.forfeited - sums.received - sums.credited, 0)


@dataclass
class ClientMoney:
    # Per currency: received, and what the client owes now (appointments given or
    # missed, and courses), never added across currencies.
    received: list[Money]
    owed: list[Money]
    entries: list[LedgerEntry]


def _with_reversal(entries: QuerySet[LedgerEntry]) -> QuerySet[LedgerEntry]:
    """The entries, each knowing whether a later one reverses it (`is_reversed`; that
    it reverses one is `reverses_id`). Asked, not joined: with the entry reversing it
    and the one it reverses joined too, the client's ledger rows were seven relations
    and PostgreSQL's planner took 24 ms to order them on every opening of the page;
    1.5 ms with four."""
    return entries.annotate(
        is_reversed=Exists(LedgerEntry.objects.filter(reverses=OuterRef("pk")))
    )


def client_money(client: Client) -> ClientMoney:
    entries = LedgerEntry.objects.filter(client=client)
    received: dict[str, int] = defaultdict(int)
    # One query sums all three: per currency (received), per appointment and per
    # course (owed), whatever the number of appointments and courses.
    by_appointment = defaultdict(lambda: defaultdict(int))
    by_plan = defaultdict(lambda: defaultdict(int))
    for row in (
        entries.values("currency", "appointment", "plan", "kind")
        .annotate(minor=Sum("amount_minor"))
        .order_by()
    ):
        sign = -1 if row["kind"] == EntryKind.REFUND else 1
        if row["kind"] in (*RECEIVED, EntryKind.REFUND):
            received[row["currency"]] += sign * row["minor"]
        if row["appointment"] is not None:
            by_appointment[row["appointment"]][row["kind"]] += row["minor"]
        if row["plan"] is not None:
            by_plan[row["plan"]][row["kind"]] += row["minor"]
    owed: dict[str, int] = defaultdict(int)
    course_sessions = TreatmentSession.objects.filter(
        appointment__client=client, plan__isnull=False
    ).exclude(plan__price_minor=0)
    given = (
        Appointment.objects.filter(client=client)
        .filter(
            Q(status=Appointment.Status.COMPLETED)
            | Q(ledger_entries__kind=EntryKind.FORFEIT)
        )
        .exclude(pk__in=course_sessions.values("appointment"))
        .select_related("service", "location")
        .distinct()
    )
    for appointment in given:
        sums = Sums(appointment.location.currency)
        for kind, minor in by_appointment[appointment.pk].items():
            sums.add(kind, minor)
        owed[sums.currency] += appointment_owed(
            price_minor=appointment.service.price_minor,
            completed=appointment.status == Appointment.Status.COMPLETED,
            sums=sums,
        )
    for plan in (
        TreatmentPlan.objects.filter(client=client)
        .exclude(price_minor=0)
        .annotate(completed=completed_sessions())
    ):
        sums = Sums(plan.currency)
        for kind, minor in by_plan[plan.pk].items():
            sums.add(kind, minor)
        owed[plan.currency] += plan_owed_now(
            price_basis=plan.price_basis,
            price_minor=plan.price_minor,
            sessions_planned=plan.sessions_planned,
            completed=plan.completed,
            sums=sums,
        )
    return ClientMoney(
        received=[Money(m, c) for c, m in sorted(received.items())],
        owed=[Money(m, c) for c, m in sorted(owed.items()) if m],
        entries=list(
            _with_reversal(
                entries.select_related(
                    "recorded_by", "appointment__service", "plan", "location"
                )
            )[:50]
        ),
    )


def entry_get_for_user(user, pk: int) -> LedgerEntry:
    """A ledger entry, for a manager (who alone voids)."""
    if not can(user, Capability.MANAGEMENT):
        raise PermissionDenied("Needs the management capability.")
    return get_object_or_404(
        LedgerEntry.objects.select_related("client", "appointment", "plan"), pk=pk
    )


def document_get_for_user(user, pk: int) -> Document:
    """A receipt or invoice, for the staff who see the client's bookings."""
    if not can(user, Capability.BOOKING):
        raise PermissionDenied("Needs the booking capability.")
    document = get_object_or_404(
        Document.objects.select_related("location", "client", "entry"), pk=pk
    )
    refuse_erased(user, document.client, "No such document.")
    return document


def documents_for(**where) -> list[Document]:
    return list(
        Document.objects.filter(**where).select_related("location").order_by("pk")
    )
