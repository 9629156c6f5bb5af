"""The ledger read in bulk for the managers' reports: what each client owes, by the
same rules as the client's page (payments/selectors.py), in a fixed number of
grouped queries whatever the number of clients, appointments or courses."""

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Q, QuerySet, Sum

from appointments.models import Appointment
from payments.models import EntryKind, LedgerEntry
from payments.selectors import (
    Sums,
    appointment_owed,
    completed_sessions,
    plan_owed_now,
)
from treatments.models import TreatmentPlan, TreatmentSession

_KIND_SUMS = {
    kind: Sum("ledger_entries__amount_minor", filter=Q(ledger_entries__kind=kind))
    for kind in EntryKind.values
}


@dataclass(frozen=True)
class Owed:
    client_id: int
    currency: str
    appointments: int  # minor units owed for appointments
    courses: int  # minor units owed for courses

    @property
    def total(self) -> int:
        return self.appointments + self.courses


def outstanding_balances(appointments: QuerySet[Appointment]) -> list[Owed]:
    """What clients owe now, per currency: for the given appointments that were
    held or forfeited a deposit (a priced course's sessions are charged on the
    course), and for every priced course. Three grouped queries."""
    # Not NULL: NOT IN a list holding a NULL would leave out every appointment.
    course_sessions = TreatmentSession.objects.filter(
        plan__price_minor__gt=0, appointment__isnull=False
    )
    given = (
        appointments.filter(
            status__in=[
                Appointment.Status.COMPLETED,
                Appointment.Status.CANCELLED,
                Appointment.Status.NO_SHOW,
            ]
        )
        .exclude(pk__in=course_sessions.values("appointment"))
        .values(
            "pk", "client_id", "status", "service__price_minor", "location__currency"
        )
        .annotate(**_KIND_SUMS)
        .order_by()
    )
    by_appointments: dict[tuple[int, str], int] = defaultdict(int)
    for row in given:
        sums = Sums(row["location__currency"])
        for kind in EntryKind.values:
            sums.add(kind, row[kind] or 0)
        owed = appointment_owed(
            price_minor=row["service__price_minor"],
            completed=row["status"] == Appointment.Status.COMPLETED,
            sums=sums,
        )
        if owed:
            by_appointments[row["client_id"], sums.currency] += owed

    by_courses: dict[tuple[int, str], int] = defaultdict(int)
    plans = TreatmentPlan.objects.filter(price_minor__gt=0)
    plan_sums: dict[int, dict[str, int]] = defaultdict(dict)
    for row in (
        LedgerEntry.objects.filter(plan__in=plans)
        .values("plan_id", "kind")
        .annotate(minor=Sum("amount_minor"))
        .order_by()
    ):
        plan_sums[row["plan_id"]][row["kind"]] = row["minor"]
    for row in (
        plans.values(
            "pk",
            "client_id",
            "currency",
            "price_basis",
            "price_minor",
            "sessions_planned",
        )
        .annotate(completed=completed_sessions())
        .order_by()
    ):
        sums = Sums(row["currency"])
        for kind, minor in plan_sums[row["pk"]].items():
            sums.add(kind, minor)
        owed = plan_owed_now(
            price_basis=row["price_basis"],
            price_minor=row["price_minor"],
            sessions_planned=row["sessions_planned"],
            completed=row["completed"],
            sums=sums,
        )
        if owed:
            by_courses[row["client_id"], row["currency"]] += owed

    return sorted(
        (
            Owed(
                client_id=client_id,
                currency=currency,
                appointments=by_appointments.get((client_id, currency), 0),
                courses=by_courses.get((client_id, currency), 0),
            )
            for client_id, currency in by_appointments.keys() | by_courses.keys()
        ),
        key=lambda owed: (owed.currency, -owed.total, owed.client_id),
    )
