"""Money reports for managers (issue 22): revenue by week, location, practitioner
and service; deposits taken, refunded, forfeited and held; outstanding balances by
client; course value sold; consultation-to-course conversion.

Revenue is money received, by when it was recorded: deposits and payments less
refunds (a voided row's reversal nets it out). Pounds and dollars are never added:
each money report is one section per currency, and its CSV one file with a Currency
column. Money columns hold minor units (pence, cents); the page writes them with
their symbol, the CSV in major units (1500.00) for spreadsheets and accounts.
Each is a fixed number of grouped queries whatever the ledger's size.
"""

from collections import defaultdict
from datetime import datetime, timedelta

from django.db.models import BigIntegerField, Case, Count, F, Q, Sum, When
from django.db.models.functions import TruncWeek
from django.utils import timezone

from appointments.models import Appointment, Location, Practitioner, Service
from appointments.selectors import location_currencies
from clients.models import Client
from payments.models import EntryKind, LedgerEntry
from payments.reports import outstanding_balances
from smp_clinic.reports import Period, Report, _day, _in_period, _rate
from treatments.models import PlanStatus, PriceBasis, TreatmentPlan

TAKEN = (EntryKind.DEPOSIT, EntryKind.PAYMENT)
REVENUE_COLUMNS = ["Taken", "Refunded", "Net received"]
# Rows a balance report lists at most per currency (the largest first): a list a
# manager can act on; the CSV has them all.
BALANCE_ROWS_SHOWN = 100


def _ledger_in(period: Period):
    """Entries recorded in the period, through the (location, recorded_at) index."""
    start, end = period.bounds
    return LedgerEntry.objects.filter(
        location_id__in=list(Location.objects.values_list("pk", flat=True)),
        recorded_at__gte=start,
        recorded_at__lt=end,
    )


def _revenue_sums() -> dict:
    return {
        "taken": Sum("amount_minor", filter=Q(kind__in=TAKEN)),
        "refunded": Sum("amount_minor", filter=Q(kind=EntryKind.REFUND)),
    }


def _revenue_cells(row: dict) -> list[int]:
    taken, refunded = row.get("taken") or 0, row.get("refunded") or 0
    return [taken, refunded, taken - refunded]


def _per_currency(
    *,
    slug: str,
    title: str,
    columns: list[str],
    rows_by_currency: dict[str, list[list]],
    money_columns: tuple[int, ...],
    chart: tuple[int, int] | None,
    date_format: str = "j M Y",
) -> list[Report]:
    """One report per currency the clinic keeps, in the order of the currencies,
    each with its locale; a currency with nothing in it is left out."""
    reports = []
    for currency, locale in location_currencies():
        rows = rows_by_currency.get(currency)
        if not rows:
            continue
        reports.append(
            Report(
                f"{slug}-{currency.lower()}",
                f"{title} ({currency})",
                columns,
                rows,
                chart=chart,
                date_format=date_format,
                money_columns=money_columns,
                currency=currency,
                locale=locale,
                csv_slug=slug,
            )
        )
    return reports or [
        Report(slug, title, columns, [], money_columns=money_columns, csv_slug=slug)
    ]


def revenue_by_week(period: Period) -> list[Report]:
    found = defaultdict(dict)
    for row in (
        _ledger_in(period)
        .annotate(week=TruncWeek("recorded_at"))
        .values("week", "currency")
        .annotate(**_revenue_sums())
        .order_by()
    ):
        found[row["currency"]][_day(row["week"])] = row
    rows_by_currency = {}
    first_monday = period.first_day - timedelta(days=period.first_day.weekday())
    for currency, weeks in found.items():
        rows = []
        monday = first_monday
        # Every week of the period, the quiet ones too: a gap in a chart is a zero.
        while monday <= period.last_day:
            rows.append([monday, *_revenue_cells(weeks.get(monday, {}))])
            monday += timedelta(weeks=1)
        rows_by_currency[currency] = rows
    return _per_currency(
        slug="revenue-week",
        title="Revenue by week",
        columns=["Week of", *REVENUE_COLUMNS],
        rows_by_currency=rows_by_currency,
        money_columns=(1, 2, 3),
        chart=(0, 3),
    )


def revenue_by_location(period: Period) -> list[Report]:
    names = dict(Location.objects.values_list("pk", "name"))
    rows_by_currency = defaultdict(list)
    for row in (
        _ledger_in(period)
        .values("location_id", "currency")
        .annotate(**_revenue_sums())
        .order_by()
    ):
        rows_by_currency[row["currency"]].append(
            [names[row["location_id"]], *_revenue_cells(row)]
        )
    for rows in rows_by_currency.values():
        rows.sort(key=lambda row: row[0])
    return _per_currency(
        slug="revenue-location",
        title="Revenue by location",
        columns=["Location", *REVENUE_COLUMNS],
        rows_by_currency=rows_by_currency,
        money_columns=(1, 2, 3),
        chart=(0, 3),
    )


def revenue_by_practitioner(period: Period) -> list[Report]:
    """An appointment's money is its practitioner's; a course's, paid on the course
    rather than a session, the course's practitioner's."""
    sums = defaultdict(lambda: defaultdict(int))
    entries = _ledger_in(period)
    for practitioner_field, where in (
        ("appointment__practitioner_id", Q(appointment__isnull=False)),
        ("plan__practitioner_id", Q(appointment__isnull=True, plan__isnull=False)),
    ):
        for row in (
            entries.filter(where)
            .values(practitioner_field, "currency")
            .annotate(**_revenue_sums())
            .order_by()
        ):
            key = row[practitioner_field], row["currency"]
            sums[key]["taken"] += row["taken"] or 0
            sums[key]["refunded"] += row["refunded"] or 0
    names = {
        p.pk: str(p)
        for p in Practitioner.objects.select_related("user").filter(
            pk__in={practitioner_id for practitioner_id, _ in sums}
        )
    }
    rows_by_currency = defaultdict(list)
    for (practitioner_id, currency), row in sums.items():
        rows_by_currency[currency].append(
            [names[practitioner_id], *_revenue_cells(row)]
        )
    for rows in rows_by_currency.values():
        rows.sort(key=lambda row: row[0])
    return _per_currency(
        slug="revenue-practitioner",
        title="Revenue by practitioner",
        columns=["Practitioner", *REVENUE_COLUMNS],
        rows_by_currency=rows_by_currency,
        money_columns=(1, 2, 3),
        chart=(0, 3),
    )


COURSES_LABEL = "Courses (paid on the course)"


def revenue_by_service(period: Period) -> list[Report]:
    """By the appointment's service; money paid on a course, not a session, is the
    courses' line."""
    names = dict(Service.objects.values_list("pk", "name"))
    rows_by_currency = defaultdict(list)
    for row in (
        _ledger_in(period)
        .values("appointment__service_id", "currency")
        .annotate(**_revenue_sums())
        .order_by()
    ):
        service_id = row["appointment__service_id"]
        label = COURSES_LABEL if service_id is None else names[service_id]
        rows_by_currency[row["currency"]].append([label, *_revenue_cells(row)])
    for rows in rows_by_currency.values():
        rows.sort(key=lambda row: (row[0] == COURSES_LABEL, row[0]))
    return _per_currency(
        slug="revenue-service",
        title="Revenue by service",
        columns=["Service", *REVENUE_COLUMNS],
        rows_by_currency=rows_by_currency,
        money_columns=(1, 2, 3),
        chart=(0, 3),
    )


def deposits(period: Period, now: datetime) -> list[Report]:
    """By location: deposits taken in the period, refunded on cancelled bookings,
    and forfeited (late cancellations and no-shows, less waivers); and the deposits
    held now, on bookings still ahead."""
    names = dict(Location.objects.values_list("pk", "name"))
    cells = defaultdict(lambda: [0, 0, 0, 0])
    for row in (
        _ledger_in(period)
        .values("location_id", "currency")
        .annotate(
            taken=Sum("amount_minor", filter=Q(kind=EntryKind.DEPOSIT)),
            refunded=Sum(
                "amount_minor",
                filter=Q(
                    kind=EntryKind.REFUND,
                    appointment__status=Appointment.Status.CANCELLED,
                ),
            ),
            forfeited=Sum("amount_minor", filter=Q(kind=EntryKind.FORFEIT)),
        )
        .order_by()
    ):
        key = row["location_id"], row["currency"]
        cells[key][0] = row["taken"] or 0
        cells[key][1] = row["refunded"] or 0
        cells[key][2] = row["forfeited"] or 0
    held = (
        LedgerEntry.objects.filter(
            appointment__starts_at__gte=now,
            appointment__status__in=Appointment.BLOCKING,
        )
        .values("location_id", "currency")
        .annotate(
            deposits=Sum("amount_minor", filter=Q(kind=EntryKind.DEPOSIT)),
            back=Sum(
                "amount_minor",
                filter=Q(kind__in=[EntryKind.REFUND, EntryKind.FORFEIT]),
            ),
        )
        .order_by()
    )
    for row in held:
        key = row["location_id"], row["currency"]
        cells[key][3] = max((row["deposits"] or 0) - (row["back"] or 0), 0)
    rows_by_currency = defaultdict(list)
    for (location_id, currency), values in sorted(
        cells.items(), key=lambda item: names[item[0][0]]
    ):
        if any(values):  # a location that took payments but no deposits: no row
            rows_by_currency[currency].append([names[location_id], *values])
    return _per_currency(
        slug="deposits",
        title="Deposits",
        columns=["Location", "Taken", "Refunded", "Forfeited", "Held now"],
        rows_by_currency=rows_by_currency,
        money_columns=(1, 2, 3, 4),
        chart=(0, 1),
    )


def balances(period: Period, *, shown: int | None = BALANCE_ROWS_SHOWN) -> list[Report]:
    """What clients owe now for appointments in the period and for their courses,
    by the client page's rules; the largest first."""
    owed = outstanding_balances(_in_period(period))
    by_currency = defaultdict(list)
    for row in owed:
        by_currency[row.currency].append(row)
    if shown is not None:
        by_currency = {c: rows[:shown] for c, rows in by_currency.items()}
    clients = {
        client.pk: client
        for client in Client.objects.filter(
            pk__in=[row.client_id for rows in by_currency.values() for row in rows]
        ).only("first_name", "last_name", "erased_at")
    }
    rows_by_currency = {
        currency: [
            [
                "Erased client"
                if clients[row.client_id].erased_at
                else clients[row.client_id].full_name,
                row.appointments,
                row.courses,
                row.total,
            ]
            for row in rows
        ]
        for currency, rows in by_currency.items()
    }
    title = "Outstanding balances by client"
    if shown is not None:
        title += f" (the {shown} largest)"
    return _per_currency(
        slug="balances",
        title=title,
        columns=["Client", "For appointments", "For courses", "Owed"],
        rows_by_currency=rows_by_currency,
        money_columns=(1, 2, 3),
        chart=None,
    )


def _course_price():
    """TreatmentPlan.course_price, in SQL: the package, or each session's price
    times the sessions planned."""
    return Case(
        When(
            price_basis=PriceBasis.PER_SESSION,
            then=F("price_minor") * F("sessions_planned"),
        ),
        default=F("price_minor"),
        output_field=BigIntegerField(),
    )


def course_value(period: Period) -> list[Report]:
    """Courses agreed in the period (not cancelled), by practitioner: how many,
    what they are worth, and what has been paid on them so far."""
    start, end = period.bounds
    plans = TreatmentPlan.objects.filter(
        created_at__gte=start, created_at__lt=end, price_minor__gt=0
    ).exclude(status=PlanStatus.CANCELLED)
    value = {
        (row["practitioner_id"], row["currency"]): row
        for row in plans.values("practitioner_id", "currency")
        .annotate(courses=Count("pk"), value=Sum(_course_price()))
        .order_by()
    }
    paid = {
        (row["plan__practitioner_id"], row["currency"]): row
        for row in LedgerEntry.objects.filter(plan__in=plans)
        .values("plan__practitioner_id", "currency")
        .annotate(**_revenue_sums())
        .order_by()
    }
    names = {
        p.pk: str(p)
        for p in Practitioner.objects.select_related("user").filter(
            pk__in={practitioner_id for practitioner_id, _ in value}
        )
    }
    rows_by_currency = defaultdict(list)
    for (practitioner_id, currency), row in sorted(
        value.items(), key=lambda item: names[item[0][0]]
    ):
        received = _revenue_cells(paid.get((practitioner_id, currency), {}))[2]
        rows_by_currency[currency].append(
            [names[practitioner_id], row["courses"], row["value"], received]
        )
    return _per_currency(
        slug="course-value",
        title="Course value sold (courses agreed in the period)",
        columns=["Practitioner", "Courses", "Value", "Paid so far"],
        rows_by_currency=rows_by_currency,
        money_columns=(2, 3),
        chart=(0, 2),
    )


def conversion(period: Period) -> Report:
    """Consultations held in the period, by location, and how many of the clients
    consulted agreed a course after it (a plan, not cancelled, made after the
    consultation's start)."""
    names = dict(Location.objects.values_list("pk", "name"))
    converted = Q(client__plans__created_at__gte=F("starts_at")) & ~Q(
        client__plans__status=PlanStatus.CANCELLED
    )
    rows = []
    for row in (
        _in_period(period)
        .filter(
            service__kind=Service.Kind.CONSULTATION,
            status=Appointment.Status.COMPLETED,
        )
        .values("location_id")
        .annotate(
            consultations=Count("pk", distinct=True),
            clients=Count("client", distinct=True),
            converted=Count("client", distinct=True, filter=converted),
        )
        .order_by()
    ):
        rows.append(
            [
                names[row["location_id"]],
                row["consultations"],
                row["clients"],
                row["converted"],
                _rate(row["converted"], row["clients"]),
            ]
        )
    rows.sort(key=lambda row: row[0])
    return Report(
        "conversion",
        "Consultation to course",
        [
            "Location",
            "Consultations",
            "Clients consulted",
            "Agreed a course",
            "Conversion",
        ],
        rows,
        chart=(0, 4),
        chart_unit="%",
    )


def all_money_reports(period: Period, now: datetime | None = None) -> list[Report]:
    now = now or timezone.now()
    return [
        *revenue_by_week(period),
        *revenue_by_location(period),
        *revenue_by_practitioner(period),
        *revenue_by_service(period),
        *deposits(period, now),
        *balances(period),
        *course_value(period),
        conversion(period),
    ]


# For the CSV: each money report by its slug, every currency in one file (a
# Currency column), balances in full.
MONEY_REPORTS = {
    "revenue-week": lambda period: revenue_by_week(period),
    "revenue-location": lambda period: revenue_by_location(period),
    "revenue-practitioner": lambda period: revenue_by_practitioner(period),
    "revenue-service": lambda period: revenue_by_service(period),
    "deposits": lambda period: deposits(period, timezone.now()),
    "balances": lambda period: balances(period, shown=None),
    "course-value": lambda period: course_value(period),
    "conversion": lambda period: [conversion(period)],
}
