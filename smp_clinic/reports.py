"""Reports for managers: each a table (shown, charted and downloadable as CSV) over a
period, computed in a fixed number of grouped queries whatever the data's size.

Appointments are read through the (location, starts_at) index, one range per
location, so a quarter of a chain's history is a few index ranges, not a table scan.
Weeks and months are the clinic's (TIME_ZONE), Monday first.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils import timezone

from appointments import slots
from appointments.models import (
    Appointment,
    Closure,
    Location,
    Practitioner,
    Room,
    TimeOff,
    WorkingHours,
)
from appointments.selectors import location_currencies
from core import dates
from core.money import format_money
from messaging.models import MessageKind, MessageStatus, OutboundMessage
from payments.models import EntryKind, LedgerEntry
from treatments.models import PlanStatus, SessionPigment, TreatmentPlan

LONGEST_PERIOD_DAYS = 731


@dataclass(frozen=True)
class Report:
    slug: str
    title: str
    columns: list[str]
    rows: list[list]
    # What a chart draws: the label column and the value column, by index.
    chart: tuple[int, int] | None = None
    chart_unit: str = ""
    # How the first column's dates read on the page (a Django date format).
    date_format: str = "j M Y"
    # Money reports (smp_clinic/money_reports.py): the columns holding minor units
    # of `currency`, written in `locale` on the page, in major units in the CSV;
    # `csv_slug` names the CSV holding every currency's section.
    money_columns: tuple[int, ...] = ()
    currency: str = ""
    locale: str = ""
    csv_slug: str = ""


@dataclass(frozen=True)
class Period:
    first_day: date
    last_day: date  # included

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        zone = timezone.get_current_timezone()
        start = datetime.combine(self.first_day, time(0), tzinfo=zone)
        end = datetime.combine(self.last_day + timedelta(days=1), time(0), tzinfo=zone)
        return start, end

    @property
    def days(self) -> list[date]:
        return slots.days_from(
            self.first_day, (self.last_day - self.first_day).days + 1
        )


def default_period(today: date) -> Period:
    """The last twelve whole weeks and this one so far."""
    monday = today - timedelta(days=today.weekday())
    return Period(monday - timedelta(weeks=12), today)


def _in_period(period: Period):
    start, end = period.bounds
    locations = list(Location.objects.values_list("pk", flat=True))
    return Appointment.objects.filter(
        location_id__in=locations, starts_at__gte=start, starts_at__lt=end
    )


def _rate(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "–"


EMPTY_WEEK = {"total": 0, "completed": 0, "no_shows": 0, "cancelled": 0}


def bookings_by_week(period: Period) -> Report:
    weeks = (
        _in_period(period)
        .annotate(week=TruncWeek("starts_at"))
        .values("week")
        .annotate(
            total=Count("pk"),
            completed=Count("pk", filter=Q(status="completed")),
            no_shows=Count("pk", filter=Q(status="no_show")),
            cancelled=Count("pk", filter=Q(status="cancelled")),
        )
        .order_by("week")
    )
    found = {_day(week["week"]): week for week in weeks}
    # Deposits by week in each currency: pounds and dollars are never added up.
    deposits = defaultdict(list)
    places = dict(location_currencies())
    for row in (
        LedgerEntry.objects.filter(
            kind=EntryKind.DEPOSIT, appointment__in=_in_period(period)
        )
        .annotate(week=TruncWeek("appointment__starts_at"))
        .values("week", "currency")
        .annotate(minor=Sum("amount_minor"))
        .filter(minor__gt=0)
        .order_by("week", "currency")
    ):
        currency = row["currency"]
        deposits[_day(row["week"])].append(
            format_money(row["minor"], currency, places.get(currency, "en_GB"))
        )
    rows = []
    monday = period.first_day - timedelta(days=period.first_day.weekday())
    # Every week of the period, the quiet ones too: a gap in a chart is a zero.
    while monday <= period.last_day:
        week = found.get(monday, EMPTY_WEEK)
        # A no-show is out of the appointments that were due: not the cancelled ones.
        due = week["total"] - week["cancelled"]
        rows.append(
            [
                monday,
                week["total"],
                week["completed"],
                week["no_shows"],
                week["cancelled"],
                _rate(week["no_shows"], due),
                _rate(week["cancelled"], week["total"]),
                "; ".join(deposits[monday]) or "–",
            ]
        )
        monday += timedelta(weeks=1)
    return Report(
        "bookings",
        "Bookings by week",
        [
            "Week of",
            "Appointments",
            "Completed",
            "No-shows",
            "Cancelled",
            "No-show rate",
            "Cancellation rate",
            "Deposits taken",
        ],
        rows,
        chart=(0, 1),
    )


def _day(value) -> date:
    return value.date() if isinstance(value, datetime) else value


def _held() -> ExpressionWrapper:
    return ExpressionWrapper(
        F("busy_ends_at") - F("busy_starts_at"), output_field=DurationField()
    )


def _hours(duration: timedelta | None) -> Decimal:
    seconds = duration.total_seconds() if duration else 0
    return Decimal(seconds / 3600).quantize(Decimal("0.1"))


def utilisation(period: Period) -> tuple[Report, Report]:
    """Time held by appointments against working time, by practitioner and by room.

    A room's time is its location's opening time: the hours any practitioner works
    there each day, closures left out.
    """
    start, end = period.bounds
    held = (
        _in_period(period)
        .filter(status__in=Appointment.BLOCKING)
        .values("practitioner_id", "room_id")
        .annotate(held=Sum(_held()))
        .order_by()
    )
    by_practitioner: dict[int, timedelta] = defaultdict(timedelta)
    by_room: dict[int, timedelta] = defaultdict(timedelta)
    for row in held:
        by_practitioner[row["practitioner_id"]] += row["held"] or timedelta()
        if row["room_id"] is not None:
            by_room[row["room_id"]] += row["held"] or timedelta()
    working, opening = _working_time(period, start, end)

    practitioners = Practitioner.objects.select_related("user").filter(
        Q(is_active=True) | Q(pk__in=by_practitioner)
    )
    practitioner_rows = [
        _utilisation_row(
            str(practitioner),
            working.get(practitioner.pk, timedelta()),
            by_practitioner.get(practitioner.pk, timedelta()),
        )
        for practitioner in practitioners
    ]
    rooms = Room.objects.select_related("location").filter(
        Q(is_active=True) | Q(pk__in=by_room)
    )
    room_rows = [
        _utilisation_row(
            f"{room.name}, {room.location.name}",
            opening.get(room.location_id, timedelta()),
            by_room.get(room.pk, timedelta()),
        )
        for room in rooms
    ]
    return (
        Report(
            "practitioner-utilisation",
            "Utilisation by practitioner",
            ["Practitioner", "Working hours", "Hours booked", "Utilisation"],
            practitioner_rows,
            chart=(0, 3),
            chart_unit="%",
        ),
        Report(
            "room-utilisation",
            "Utilisation by room",
            ["Room", "Opening hours", "Hours booked", "Utilisation"],
            room_rows,
            chart=(0, 3),
            chart_unit="%",
        ),
    )


def _utilisation_row(label: str, available: timedelta, held: timedelta) -> list:
    return [
        label,
        _hours(available),
        _hours(held),
        _rate(held.total_seconds(), available.total_seconds()),
    ]


def _working_time(period: Period, start: datetime, end: datetime):
    """Each practitioner's working time and each location's opening time."""
    weekly = defaultdict(list)
    for block in WorkingHours.objects.select_related("location").order_by():
        weekly[block.practitioner_id, block.location_id].append(
            (
                block.location,
                slots.WeeklyBlock(block.weekday, block.start_time, block.end_time),
            )
        )
    closed = defaultdict(set)
    for location_id, day in Closure.objects.filter(
        date__gte=period.first_day, date__lte=period.last_day
    ).values_list("location_id", "date"):
        closed[location_id].add(day)
    off = defaultdict(list)
    for practitioner_id, off_start, off_end in TimeOff.objects.filter(
        starts_at__lt=end, ends_at__gt=start
    ).values_list("practitioner_id", "starts_at", "ends_at"):
        off[practitioner_id].append(slots.Interval(off_start, off_end))

    working: dict[int, timedelta] = defaultdict(timedelta)
    open_intervals: dict[int, list[slots.Interval]] = defaultdict(list)
    for (practitioner_id, location_id), pairs in weekly.items():
        location = pairs[0][0]
        blocks = [block for _, block in pairs]
        away = slots.BusyTimeline(off[practitioner_id])
        for day in period.days:
            if day in closed[location_id] or day in closed[None]:
                continue
            for interval in slots.working_intervals(day, blocks, location.zone):
                open_intervals[location_id].append(interval)
                working[practitioner_id] += (interval.end - interval.start) - sum(
                    (
                        min(interval.end, busy.end) - max(interval.start, busy.start)
                        for busy in away.overlapping(interval)
                    ),
                    timedelta(),
                )
    opening = {
        location_id: sum((i.end - i.start for i in slots.merge(intervals)), timedelta())
        for location_id, intervals in open_intervals.items()
    }
    return working, opening


def course_completion(period: Period) -> Report:
    """Courses planned in the period: sessions held of sessions planned."""
    start, end = period.bounds
    in_period = TreatmentPlan.objects.filter(created_at__gte=start, created_at__lt=end)
    live = ~Q(status=PlanStatus.CANCELLED)
    # Sessions held need a join to the sessions, which would multiply the sum of
    # sessions planned: two grouped queries, not one.
    plans = list(
        in_period.values("practitioner_id")
        .annotate(
            plans=Count("pk"),
            completed=Count("pk", filter=Q(status=PlanStatus.COMPLETED)),
            cancelled=Count("pk", filter=Q(status=PlanStatus.CANCELLED)),
            planned=Sum("sessions_planned", filter=live),
        )
        .order_by()
    )
    held = dict(
        in_period.filter(live)
        .values("practitioner_id")
        .annotate(
            n=Count("sessions", filter=Q(sessions__appointment__status="completed"))
        )
        .order_by()
        .values_list("practitioner_id", "n")
    )
    planned = {row["practitioner_id"]: row["planned"] or 0 for row in plans}
    names = {
        p.pk: str(p)
        for p in Practitioner.objects.select_related("user").filter(
            pk__in=[row["practitioner_id"] for row in plans]
        )
    }
    rows = [
        [
            names[row["practitioner_id"]],
            row["plans"],
            planned.get(row["practitioner_id"], 0),
            held.get(row["practitioner_id"], 0),
            _rate(
                held.get(row["practitioner_id"], 0),
                planned.get(row["practitioner_id"], 0),
            ),
            row["completed"],
            row["cancelled"],
        ]
        for row in sorted(plans, key=lambda row: names[row["practitioner_id"]])
    ]
    return Report(
        "course-completion",
        "Course completion (courses planned in the period)",
        [
            "Practitioner",
            "Courses",
            "Sessions planned",
            "Sessions held",
            "Completion",
            "Courses completed",
            "Courses cancelled",
        ],
        rows,
        chart=(0, 4),
        chart_unit="%",
    )


def recalls_ahead(today: date, months: int = 12) -> Report:
    """Touch-up and fade-check emails waiting to go, by month, from this month on."""
    zone = timezone.get_current_timezone()
    first = datetime.combine(today.replace(day=1), time(0), tzinfo=zone)
    last = datetime.combine(
        dates.add_months(today.replace(day=1), months), time(0), tzinfo=zone
    )
    counts = defaultdict(lambda: defaultdict(int))
    for row in (
        OutboundMessage.objects.filter(
            kind__in=[MessageKind.TOUCH_UP, MessageKind.FADE_CHECK],
            status=MessageStatus.PENDING,
            due_at__gte=first,
            due_at__lt=last,
        )
        .annotate(month=TruncMonth("due_at"))
        .values("month", "kind")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        counts[_day(row["month"])][row["kind"]] = row["n"]
    rows = []
    month = today.replace(day=1)
    for _ in range(months):
        touch_ups = counts[month][MessageKind.TOUCH_UP]
        fade_checks = counts[month][MessageKind.FADE_CHECK]
        rows.append([month, touch_ups, fade_checks, touch_ups + fade_checks])
        month = dates.add_months(month, 1)
    return Report(
        "recalls",
        "Touch-ups and fade checks ahead, by month",
        ["Month", "Touch-ups", "Fade checks", "Together"],
        rows,
        chart=(0, 3),
        date_format="F Y",
    )


def lots_used(period: Period) -> Report:
    start, end = period.bounds
    uses = (
        SessionPigment.objects.filter(
            session__appointment__starts_at__gte=start,
            session__appointment__starts_at__lt=end,
        )
        .values(
            "lot_id",
            "lot__lot_number",
            "lot__pigment__brand",
            "lot__pigment__shade",
            "lot__expires_on",
        )
        .annotate(
            sessions=Count("session", distinct=True),
            clients=Count("session__client", distinct=True),
        )
        .order_by("-sessions", "lot__lot_number")
    )
    rows = [
        [
            use["lot__lot_number"],
            f"{use['lot__pigment__brand']} {use['lot__pigment__shade']}",
            use["lot__expires_on"],
            use["sessions"],
            use["clients"],
        ]
        for use in uses
    ]
    return Report(
        "lots",
        "Pigment lots used",
        ["Lot", "Pigment", "Expires", "Sessions", "Clients"],
        rows,
        chart=(0, 3),
    )


# Each report by its slug, in the order the page shows them.
REPORTS = {
    "bookings": lambda period, today: bookings_by_week(period),
    "practitioner-utilisation": lambda period, today: utilisation(period)[0],
    "room-utilisation": lambda period, today: utilisation(period)[1],
    "course-completion": lambda period, today: course_completion(period),
    "recalls": lambda period, today: recalls_ahead(today),
    "lots": lambda period, today: lots_used(period),
}


def all_reports(period: Period, today: date) -> list[Report]:
    by_practitioner, by_room = utilisation(period)
    return [
        bookings_by_week(period),
        by_practitioner,
        by_room,
        course_completion(period),
        recalls_ahead(today),
        lots_used(period),
    ]
