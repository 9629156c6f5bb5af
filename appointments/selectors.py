import copy
import functools
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import models
from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone

from appointments import calendar_cache, feeds, slots
from appointments.models import (
    LONGEST_APPOINTMENT,
    LONGEST_HELD,
    Appointment,
    Closure,
    Location,
    Practitioner,
    Room,
    Service,
    TimeOff,
    WaitlistEntry,
    WaitlistOffer,
    WorkingHours,
)
from clients import selectors as client_selectors
from clients.selectors import TimelineEvent
from core import sql
from core.cache import changed_here
from core.roles import Capability, can, refuse_erased


def slot_step() -> timedelta:
    return timedelta(minutes=settings.BOOKING_SLOT_STEP_MINUTES)


def min_notice() -> timedelta:
    return timedelta(minutes=settings.BOOKING_MIN_NOTICE_MINUTES)


def holding_time_in(interval: slots.Interval) -> Q:
    """Appointments whose held time overlaps `interval`.

    The lower bound on the start follows from the upper one (nothing holds more than
    LONGEST_HELD) and keeps the index range to days, not the whole history: without
    it, "started before the end" matches every past appointment.
    """
    return Q(
        busy_starts_at__lt=interval.end,
        busy_starts_at__gt=interval.start - LONGEST_HELD,
        busy_ends_at__gt=interval.start,
    )


# holding_time_in() for SQL written by hand (core.sql), with its parameters from
# holding_time_params(): the same three bounds, in the same order.
HOLDING_TIME_SQL = "busy_starts_at < %s AND busy_starts_at > %s AND busy_ends_at > %s"


def holding_time_params(interval: slots.Interval) -> list:
    starts = Appointment._meta.get_field("busy_starts_at")
    return [
        sql.param(starts, interval.end),
        sql.param(starts, interval.start - LONGEST_HELD),
        sql.param(starts, interval.start),
    ]


def meeting_in(interval: slots.Interval) -> Q:
    """Appointments whose own time (buffers aside) overlaps `interval`.

    The bounds on both start columns add nothing to the answer; they let either
    start-time index serve the search, by practitioner or by location.
    """
    return Q(
        starts_at__lt=interval.end,
        starts_at__gt=interval.start - LONGEST_APPOINTMENT,
        ends_at__gt=interval.start,
        busy_starts_at__lt=interval.end,
        busy_starts_at__gt=interval.start - LONGEST_HELD,
    )


@dataclass(frozen=True)
class Schedule:
    """Everything the slot arithmetic needs for a service, locations and dates."""

    locations: dict[int, Location]
    blocks: list[slots.Block]
    busy_by_practitioner: dict[int, slots.BusyTimeline]
    busy_by_room: dict[int, slots.BusyTimeline]
    rooms_by_location: dict[int, list[int]] | None


@dataclass(frozen=True)
class ScheduleSetup:
    """What a schedule is made of that changes rarely: the working blocks (closed
    days taken out), the rooms, and the window and people whose busy time counts.
    served_availability keeps it in the cache until the set-up changes."""

    locations: dict[int, Location]
    blocks: list[slots.Block]
    rooms_by_location: dict[int, list[int]] | None
    practitioner_ids: set[int]
    room_ids: list[int]
    window: slots.Interval


def schedule_load(
    *,
    service: Service,
    first_day: date,
    days: int,
    practitioner_id: int | None = None,
    location_id: int | None = None,
    exclude_appointment_id: int | None = None,
) -> Schedule:
    """Load working blocks and busy time in four queries, whatever the data's size:
    working hours with their locations, closures, rooms (for a service that needs
    one) and busy time, appointments and time off together."""
    setup = schedule_setup_load(
        service=service,
        first_day=first_day,
        days=days,
        practitioner_id=practitioner_id,
        location_id=location_id,
    )
    return schedule_with_busy_time(setup, exclude_appointment_id=exclude_appointment_id)


def schedule_setup_load(
    *,
    service: Service,
    first_day: date,
    days: int,
    practitioner_id: int | None = None,
    location_id: int | None = None,
) -> ScheduleSetup:
    """The working hours with their locations, closures and rooms: three queries."""
    # No ordering: the default one joins each practitioner's user for its name.
    hours = (
        WorkingHours.objects.filter(
            location__is_active=True, practitioner__is_active=True
        )
        .select_related("location")
        .order_by()
    )
    if location_id is not None:
        hours = hours.filter(location_id=location_id)
    if practitioner_id is not None:
        hours = hours.filter(practitioner_id=practitioner_id)
    locations: dict[int, Location] = {}
    weekly: dict[tuple[int, int], list[slots.WeeklyBlock]] = defaultdict(list)
    for block in hours:
        locations[block.location_id] = block.location
        weekly[block.practitioner_id, block.location_id].append(
            slots.WeeklyBlock(block.weekday, block.start_time, block.end_time)
        )

    day_list = slots.days_from(first_day, days)
    closed: dict[int | None, set[date]] = defaultdict(set)
    for lid, day in (
        Closure.objects.filter(
            Q(location_id__in=locations) | Q(location__isnull=True),
            date__gte=day_list[0],
            date__lte=day_list[-1],
        )
        .order_by()
        .values_list("location_id", "date")
    ):
        closed[lid].add(day)

    blocks = []
    for (pid, lid), weekly_blocks in weekly.items():
        zone = locations[lid].zone
        for day in day_list:
            if day in closed[lid] or day in closed[None]:
                continue
            for interval in slots.working_intervals(day, weekly_blocks, zone):
                blocks.append(slots.Block(pid, lid, interval))

    practitioner_ids = {pid for pid, _ in weekly}
    if blocks:
        window = slots.Interval(
            min(block.interval.start for block in blocks),
            max(block.interval.end for block in blocks),
        )
    else:
        start = timezone.make_aware(datetime.combine(first_day, datetime.min.time()))
        window = slots.Interval(start, start + timedelta(days=days))

    rooms_by_location = None
    room_ids: list[int] = []
    if service.needs_room:
        rooms_by_location = defaultdict(list)
        for room_id, lid in (
            Room.objects.filter(location_id__in=locations, is_active=True)
            .order_by("name", "pk")
            .values_list("id", "location_id")
        ):
            rooms_by_location[lid].append(room_id)
            room_ids.append(room_id)
    return ScheduleSetup(
        locations=locations,
        blocks=blocks,
        rooms_by_location=rooms_by_location,
        practitioner_ids=practitioner_ids,
        room_ids=room_ids,
        window=window,
    )


def schedule_with_busy_time(
    setup: ScheduleSetup, *, exclude_appointment_id: int | None = None
) -> Schedule:
    """The set-up with the busy time in its window: appointments and time off, one
    query."""
    practitioner_ids, room_ids = sorted(setup.practitioner_ids), list(setup.room_ids)
    holding = holding_time_params(setup.window)
    end, _, start = holding
    excluded = [] if exclude_appointment_id is None else [exclude_appointment_id]
    starts = Appointment._meta.get_field("busy_starts_at")
    busy = sql.fetch(
        _busy_time_sql(len(practitioner_ids), len(room_ids), bool(excluded)),
        [
            *practitioner_ids,
            *room_ids,
            *holding,
            *Appointment.BLOCKING,
            *excluded,
            *practitioner_ids,
            end,
            start,
        ],
        [None, None, starts, starts],
    )
    busy_by_practitioner: dict[int, list[slots.Interval]] = defaultdict(list)
    busy_by_room: dict[int, list[slots.Interval]] = defaultdict(list)
    for pid, room_id, busy_start, busy_end in busy:
        interval = slots.Interval(busy_start, busy_end)
        busy_by_practitioner[pid].append(interval)
        if room_id is not None:
            busy_by_room[room_id].append(interval)

    return Schedule(
        locations=setup.locations,
        blocks=setup.blocks,
        busy_by_practitioner={
            pid: slots.BusyTimeline(v) for pid, v in busy_by_practitioner.items()
        },
        busy_by_room={rid: slots.BusyTimeline(v) for rid, v in busy_by_room.items()},
        rooms_by_location=setup.rooms_by_location,
    )


@functools.lru_cache(maxsize=256)
def _busy_time_sql(practitioners: int, rooms: int, excluding: bool) -> str:
    """schedule_with_busy_time()'s query: the blocking appointments of the
    practitioners or rooms that hold time in the window (holding_time_in()), and the
    practitioners' time off. In SQL written here: the ORM's union took about 1.5 ms
    of Python to build and compile, several times what the database takes, on every
    answer of /api/availability (core.sql)."""
    whose = []
    if practitioners:
        whose.append(f"practitioner_id IN ({sql.placeholders(range(practitioners))})")
    if rooms:
        whose.append(f"room_id IN ({sql.placeholders(range(rooms))})")
    # Nobody's: nothing (an empty IN () is no SQL).
    whose = whose or ["1 = 0"]
    # Table names, columns and placeholders only: every value is a parameter.
    return f"""
        SELECT practitioner_id, room_id, busy_starts_at, busy_ends_at
        FROM {sql.table(Appointment)}
        WHERE ({" OR ".join(whose)}) AND {HOLDING_TIME_SQL}
        AND status IN ({sql.placeholders(Appointment.BLOCKING)})
        {"AND id <> %s" if excluding else ""}
        UNION ALL
        SELECT practitioner_id, NULL, starts_at, ends_at FROM {sql.table(TimeOff)}
        WHERE practitioner_id IN ({sql.placeholders(range(practitioners)) or "NULL"})
        AND starts_at < %s AND ends_at > %s"""  # noqa: S608


def availability(
    *,
    service: Service,
    first_day: date,
    days: int,
    practitioner_id: int | None = None,
    location_id: int | None = None,
    now: datetime | None = None,
    exclude_appointment_id: int | None = None,
) -> "Availability":
    """Free start times for a service over `days` local days from `first_day`."""
    schedule = schedule_load(
        service=service,
        first_day=first_day,
        days=days,
        practitioner_id=practitioner_id,
        location_id=location_id,
        exclude_appointment_id=exclude_appointment_id,
    )
    return free_in(service, schedule, now=now)


def free_in(service: Service, schedule: Schedule, *, now=None) -> "Availability":
    found = slots.free_slots(
        blocks=schedule.blocks,
        span=service_span(service),
        busy_by_practitioner=schedule.busy_by_practitioner,
        busy_by_room=schedule.busy_by_room,
        rooms_by_location=schedule.rooms_by_location,
        step=slot_step(),
        earliest=(now or timezone.now()) + min_notice(),
    )
    return Availability(slots=found, locations=schedule.locations)


def served_availability(
    *,
    service_id: int,
    first_day: date,
    days: int,
    practitioner_id: int | None = None,
    location_id: int | None = None,
    now: datetime | None = None,
) -> tuple[Service, "Availability"]:
    """availability() of an active service by its id, for the API: the service and
    its schedule's set-up (working blocks, closures, rooms) are served from the cache
    until the set-up changes (calendar_cache moves its set-up version on every save
    or delete of those rows, and again when the change commits); the busy time is
    read afresh, one query, so a booking does not send every answer back to the
    start. Raises Http404 for an unknown or inactive service.

    A booking never trusts this: the booking service checks overlaps afresh under its
    lock, so a slot shown from a schedule a moment old is refused, never doubled.
    """
    key = (
        f"schedule-setup:{calendar_cache.setup_version()}:{service_id}"
        f":{first_day.isoformat()}:{days}:{practitioner_id}:{location_id}"
    )
    found = cache.get(key)
    if not isinstance(found, tuple):
        service = get_object_or_404(Service, pk=service_id, is_active=True)
        found = (
            service,
            schedule_setup_load(
                service=service,
                first_day=first_day,
                days=days,
                practitioner_id=practitioner_id,
                location_id=location_id,
            ),
        )
        if not changed_here(calendar_cache.SETUP_KEY):
            cache.set(key, found, calendar_cache.seconds())
    service, setup = found
    return service, free_in(service, schedule_with_busy_time(setup), now=now)


@dataclass(frozen=True)
class Availability:
    slots: list[slots.Slot]
    locations: dict[int, Location]

    def local(self, slot: slots.Slot) -> tuple[datetime, datetime]:
        """A slot's start and end in its location's zone."""
        zone = self.locations[slot.location_id].zone
        return slot.start.astimezone(zone), slot.end.astimezone(zone)


def service_span(service: Service) -> slots.Span:
    return slots.Span(service.duration, service.buffer_before, service.buffer_after)


def blocking_overlaps(
    *,
    held: slots.Interval,
    practitioner_id: int,
    room_id: int | None,
    exclude_appointment_id: int | None = None,
) -> QuerySet[Appointment]:
    """Blocking appointments holding time in `held` for the practitioner or room."""
    who = Q(practitioner_id=practitioner_id)
    if room_id is not None:
        who |= Q(room_id=room_id)
    found = Appointment.objects.filter(
        who, holding_time_in(held), status__in=Appointment.BLOCKING
    ).select_related("client", "service", "practitioner__user", "room")
    if exclude_appointment_id is not None:
        found = found.exclude(pk=exclude_appointment_id)
    return found


def appointment_get_for_user(user, pk: int) -> Appointment:
    """An appointment the user may see (every booking role sees the calendar)."""
    if not can(user, Capability.BOOKING):
        raise Http404("No such appointment.")
    appointment = get_object_or_404(
        Appointment.objects.select_related(
            "client", "service", "practitioner__user", "location", "room"
        ),
        pk=pk,
    )
    refuse_erased(user, appointment.client, "No such appointment.")
    return appointment


def service_list_active() -> QuerySet[Service]:
    return Service.objects.filter(is_active=True)


def practitioner_list_active() -> QuerySet[Practitioner]:
    return Practitioner.objects.filter(is_active=True).select_related("user")


def location_currencies() -> list[tuple[str, str]]:
    """Each currency the locations keep, with the locale of the first location that
    keeps it: [("GBP", "en_GB"), ("USD", "en_US")]. GBP alone before any location."""
    places: dict[str, str] = {}
    for currency, locale in Location.objects.order_by("pk").values_list(
        "currency", "locale"
    ):
        places.setdefault(currency, locale)
    return sorted(places.items()) or [("GBP", "en_GB")]


def location_zones() -> dict[int, object]:
    return {loc.pk: loc.zone for loc in Location.objects.all()}


@dataclass(frozen=True)
class LocationDay:
    location: Location
    day: date
    appointments: list[Appointment]


def appointments_today(
    *, user, now: datetime | None = None, location: Location | None = None
) -> list[LocationDay]:
    """Today's appointments per location (or at `location` only), each location's
    today in its own zone.

    A practitioner sees their own; the front desk and managers see everyone's. Four
    queries (two for the forms each client still has to sign), whatever the number
    of locations or appointments.
    """
    if not can(user, Capability.BOOKING):
        return []
    now = now or timezone.now()
    locations = Location.objects.filter(is_active=True)
    if location is not None:
        locations = locations.filter(pk=location.pk)
    locations = list(locations)
    days = {loc.pk: now.astimezone(loc.zone).date() for loc in locations}
    window = Q(pk__in=[])
    for loc in locations:
        bounds = slots.local_day_bounds(days[loc.pk], loc.zone)
        window |= Q(location=loc, starts_at__gte=bounds.start, starts_at__lt=bounds.end)
    found = (
        Appointment.objects.filter(window)
        .select_related("client", "service", "practitioner__user", "room")
        # The health intake in the Forms column, in the same query.
        .annotate(**client_selectors.intake_forms_annotations("client"))
    )
    if not can(user, Capability.MANAGEMENT) and hasattr(user, "practitioner"):
        found = found.filter(practitioner__user=user)
    by_location: dict[int, list[Appointment]] = defaultdict(list)
    found = list(found.order_by("starts_at"))
    # Forms before the visit: the consents each client still has to sign, and the
    # health intake (to fill in, or entered by the client and waiting for review).
    to_sign = client_selectors.consents_to_sign_count(a.client_id for a in found)
    for appointment in found:
        appointment.forms_to_sign = to_sign.get(appointment.client_id, 0)
        appointment.intake_state = client_selectors.intake_forms_text(
            complete=appointment.intake_complete, entered=appointment.intake_entered
        )
        by_location[appointment.location_id].append(appointment)
    return [LocationDay(loc, days[loc.pk], by_location[loc.pk]) for loc in locations]


@dataclass(frozen=True)
class ToMove:
    """A booked appointment that a closure, time off or new hours left outside."""

    appointment: Appointment
    reason: str


def appointments_to_move(
    *,
    practitioner: Practitioner | None = None,
    now: datetime | None = None,
    until: datetime | None = None,
) -> list[ToMove]:
    """Upcoming booked appointments that can no longer be kept where they are, by
    time, with why: a closure of their day, time off over them, or working hours
    that no longer hold them. In a fixed number of queries, whatever the count."""
    now = now or timezone.now()
    found = Appointment.objects.filter(
        status__in=[Appointment.Status.BOOKED, Appointment.Status.CONFIRMED],
        starts_at__gte=now,
    )
    if practitioner is not None:
        found = found.filter(practitioner=practitioner)
    if until is not None:
        found = found.filter(starts_at__lt=until)
    appointments = list(
        found.select_related(
            "client", "service", "location", "practitioner__user"
        ).order_by("starts_at", "pk")
    )
    # Hours and time off of everyone asked about (not of the practitioners found:
    # an empty list would skip the query, and the dashboard's count would change
    # with what is booked). Both tables are small: a row per block, per absence.
    whose = Q() if practitioner is None else Q(practitioner=practitioner)
    weekly: dict[tuple[int, int], list[slots.WeeklyBlock]] = defaultdict(list)
    hours = WorkingHours.objects.filter(whose).values_list(
        "practitioner_id", "location_id", "weekday", "start_time", "end_time"
    )
    for pid, location_id, weekday, start, end in hours:
        weekly[pid, location_id].append(slots.WeeklyBlock(weekday, start, end))
    time_off: dict[int, list[tuple[slots.Interval, str]]] = defaultdict(list)
    for pid, starts_at, ends_at, reason in TimeOff.objects.filter(
        whose, ends_at__gt=now
    ).values_list("practitioner_id", "starts_at", "ends_at", "reason"):
        time_off[pid].append((slots.Interval(starts_at, ends_at), reason))
    closures = {
        (location_id, day): name
        for location_id, day, name in Closure.objects.filter(
            date__gte=now.date() - timedelta(days=1)
        ).values_list("location_id", "date", "name")
    }
    to_move = []
    for appointment in appointments:
        zone = appointment.location.zone
        day = appointment.starts_at.astimezone(zone).date()
        blocks = weekly[appointment.practitioner_id, appointment.location_id]
        reason = slots.why_outside_hours(
            held=slots.Interval(appointment.busy_starts_at, appointment.busy_ends_at),
            # A block that starts the evening before may run past midnight.
            working=slots.working_intervals(day - timedelta(days=1), blocks, zone)
            + slots.working_intervals(day, blocks, zone),
            time_off=time_off[appointment.practitioner_id],
            closure=closures.get(
                (appointment.location_id, day), closures.get((None, day))
            ),
            check_hours=appointment.overlap_approved_by_id is None,
        )
        if reason:
            to_move.append(ToMove(appointment, reason))
    return to_move


@dataclass(frozen=True)
class Entry:
    """What fills a busy calendar cell: an appointment or a practitioner's time off."""

    appointment: Appointment | None = None
    time_off: TimeOff | None = None


@dataclass(frozen=True)
class CalendarColumn:
    practitioner: Practitioner
    day: date
    layout: slots.ColumnLayout

    @property
    def lanes(self) -> int:
        return self.layout.lanes


@dataclass(frozen=True)
class Calendar:
    """A table of wall-clock rows and practitioner (or day) columns in one zone."""

    location: Location
    days: list[date]
    rows: list[time]
    columns: list[CalendarColumn]
    closures: dict[date, str]
    # Cancelled and no-show appointments: listed beside the grid, holding no time.
    released: list[Appointment]
    # Every location, by id: the picker offers the active ones.
    locations: dict[int, Location]

    @property
    def location_choices(self) -> list[Location]:
        return [loc for loc in self.locations.values() if loc.is_active]

    @property
    def table(
        self,
    ) -> list[tuple[time, list[tuple[slots.CalendarCell, CalendarColumn]]]]:
        """Each row's time and its (cell, column) pairs, less spanned cells."""
        return [
            (at, [(cell, col) for col in self.columns for cell in col.layout.rows[i]])
            for i, at in enumerate(self.rows)
        ]


def calendar_locations(user) -> QuerySet[Location]:
    """The locations whose calendars the user may open."""
    if not can(user, Capability.BOOKING):
        return Location.objects.none()
    return Location.objects.filter(is_active=True)


def calendar_locations_kept(
    user, setup_version: int | None = None
) -> dict[int, Location]:
    """calendar_locations() by id, kept in this process while the schedule's set-up
    stays as it is (calendar_cache.set_up): a calendar checks its location without a
    query. Copies, so that no request sees what another set on them."""
    if not can(user, Capability.BOOKING):
        return {}
    # One list for every user who may book, as calendar_locations() gives: were it
    # ever to differ by user, the name kept under would have to say whose it is.
    kept = calendar_cache.set_up(
        "calendar-locations",
        lambda: {location.pk: location for location in calendar_locations(user)},
        at=setup_version,
    )
    return {pk: copy.copy(location) for pk, location in kept.items()}


def calendar_practitioners(location: Location) -> QuerySet[Practitioner]:
    return Practitioner.objects.filter(
        locations=location, is_active=True
    ).select_related("user")


def calendar_day(*, location: Location, day: date, now: datetime | None = None):
    """A location's day: one column per practitioner working there, in 5 queries."""
    practitioners = list(calendar_practitioners(location))
    return _calendar(
        location=location,
        practitioners=practitioners,
        days=[day],
        now=now,
    )


def calendar_week(
    *,
    location: Location,
    practitioner: Practitioner,
    first_day: date,
    now: datetime | None = None,
):
    """A practitioner's week at a location: one column per day, in 4 queries."""
    return _calendar(
        location=location,
        practitioners=[practitioner],
        days=slots.days_from(first_day, 7),
        now=now,
    )


def _calendar(
    *,
    location: Location,
    practitioners: list[Practitioner],
    days: list[date],
    now: datetime | None,
) -> Calendar:
    zone = location.zone
    now = now or timezone.now()
    window = slots.Interval(
        slots.local_day_bounds(days[0], zone).start,
        slots.local_day_bounds(days[-1], zone).end,
    )
    ids = [p.pk for p in practitioners]
    locations = Location.objects.order_by("name").in_bulk()
    weekly: dict[int, list[slots.WeeklyBlock]] = defaultdict(list)
    for pid, weekday, start, end in (
        WorkingHours.objects.filter(location=location, practitioner_id__in=ids)
        .order_by()
        .values_list("practitioner_id", "weekday", "start_time", "end_time")
    ):
        weekly[pid].append(slots.WeeklyBlock(weekday, start, end))
    closures = dict(
        Closure.objects.filter(
            Q(location=location) | Q(location__isnull=True),
            date__gte=days[0],
            date__lte=days[-1],
        ).values_list("date", "name")
    )
    entries: dict[int, list[tuple[slots.Interval, Entry]]] = defaultdict(list)
    for time_off in TimeOff.objects.filter(
        practitioner_id__in=ids, starts_at__lt=window.end, ends_at__gt=window.start
    ):
        interval = slots.Interval(time_off.starts_at, time_off.ends_at)
        entries[time_off.practitioner_id].append((interval, Entry(time_off=time_off)))
    released = []
    for appointment in (
        Appointment.objects.filter(
            Q(practitioner_id__in=ids) | Q(location=location), meeting_in(window)
        )
        # Locations come from the dict: joined here, they tripled the planning time.
        .select_related("client", "service", "room", "practitioner__user")
        .order_by("starts_at", "pk")
    ):
        appointment.location = locations[appointment.location_id]
        if not appointment.is_blocking:
            if appointment.location_id == location.pk:
                released.append(appointment)
            continue
        # Placed by the time it holds, buffers included: that time cannot be booked.
        interval = slots.Interval(appointment.busy_starts_at, appointment.busy_ends_at)
        entries[appointment.practitioner_id].append(
            (interval, Entry(appointment=appointment))
        )

    working = {
        (pid, day): slots.working_intervals(day, blocks, zone)
        for pid, blocks in weekly.items()
        for day in days
        if day not in closures
    }
    appointment_intervals = [
        interval
        for pairs in entries.values()
        for interval, entry in pairs
        if entry.appointment is not None
    ]
    rows = slots.wall_rows(
        *_row_range(working, appointment_intervals, zone), slot_step()
    )
    earliest = now + min_notice()
    columns = [
        CalendarColumn(
            practitioner,
            day,
            slots.calendar_column(
                day=day,
                zone=zone,
                rows=rows,
                step=slot_step(),
                working=working.get((practitioner.pk, day), []),
                entries=[
                    pair
                    for pair in entries[practitioner.pk]
                    if pair[0].overlaps(slots.local_day_bounds(day, zone))
                ],
                earliest=earliest,
            ),
        )
        for practitioner in practitioners
        for day in days
    ]
    return Calendar(location, days, rows, columns, closures, released, locations)


DEFAULT_DAY = (time(9), time(17))


def _row_range(
    working: dict, appointments: list[slots.Interval], zone
) -> tuple[time, time]:
    """The wall-clock span the grid shows: the usual day, working time, appointments.

    Time off is left out: a week's holiday would otherwise stretch the grid to
    midnight. An appointment past midnight ends the grid at the day's last row.
    """
    intervals = [i for day in working.values() for i in day] + appointments
    earliest, latest = DEFAULT_DAY
    for interval in intervals:
        start = interval.start.astimezone(zone)
        end = interval.end.astimezone(zone)
        earliest = min(earliest, start.time())
        latest = max(latest, end.time() if end.date() == start.date() else time(23, 59))
    return earliest, latest


@dataclass(frozen=True)
class NextFree:
    practitioner: Practitioner
    location: Location
    starts_at: datetime

    @property
    def local_starts_at(self) -> datetime:
        return self.starts_at.astimezone(self.location.zone)


def next_free_per_practitioner(
    *,
    service: Service,
    location: Location | None,
    first_day: date,
    days: int = 14,
    now: datetime | None = None,
) -> list[NextFree]:
    """Each practitioner's earliest free start for the service, soonest first."""
    found = availability(
        service=service,
        first_day=first_day,
        days=days,
        location_id=location.pk if location else None,
        now=now,
    )
    earliest: dict[int, slots.Slot] = {}
    for slot in found.slots:
        earliest.setdefault(slot.practitioner_id, slot)
    practitioners = Practitioner.objects.select_related("user").in_bulk(earliest)
    return [
        NextFree(
            practitioners[slot.practitioner_id],
            found.locations[slot.location_id],
            slot.start,
        )
        for slot in earliest.values()
    ]


def practitioner_for_feed(token: str) -> Practitioner:
    """The practitioner whose private feed the token opens; 404 for any other."""
    if not token:
        raise Http404("No such feed.")
    return get_object_or_404(
        Practitioner, feed_digest=feeds.digest(token), is_active=True
    )


def feed_practitioners_for_user(user) -> QuerySet[Practitioner]:
    """Whose calendar feeds the user may manage: their own; a manager's, everyone's."""
    found = Practitioner.objects.filter(is_active=True).select_related("user")
    if can(user, Capability.MANAGEMENT):
        return found
    return found.filter(user=user)


def online_bookings_to_prepare(*, user, now: datetime | None = None, limit: int = 20):
    """Upcoming consultations booked online by clients with no intake yet: who the
    front desk should call or greet with the intake form."""
    if not can(user, Capability.BOOKING):
        return Appointment.objects.none()
    return (
        Appointment.objects.filter(
            source=Appointment.Source.ONLINE,
            status__in=(Appointment.Status.BOOKED, Appointment.Status.CONFIRMED),
            starts_at__gte=now or timezone.now(),
            client__intake__isnull=True,
        )
        .select_related("client", "location", "service")
        .order_by("starts_at", "pk")[:limit]
    )


def online_services() -> QuerySet[Service]:
    """What a new client books online: the active consultations, in person, by phone
    or by video. Nothing else: a treatment needs an intake, consent and a patch test
    first, which a stranger on the booking page has not given."""
    return Service.objects.filter(
        kind=Service.Kind.CONSULTATION, is_active=True
    ).order_by("meeting", "duration_minutes", "name", "pk")


def online_consultation_service() -> Service | None:
    """The first consultation offered online (in person before phone and video)."""
    return online_services().first()


def online_practitioners(location: Location) -> QuerySet[Practitioner]:
    """Whom a visitor may choose at a location: active practitioners with hours
    there."""
    return (
        Practitioner.objects.filter(
            is_active=True,
            locations=location,
            working_hours__location=location,
        )
        .distinct()
        .select_related("user")
    )


@dataclass(frozen=True)
class BookableDay:
    """A day of the booking page's strip and its free start times, local to the
    location (each time once, whoever is free then)."""

    day: date
    times: list[datetime]


def bookable_days(
    *,
    service: Service,
    location: Location,
    first_day: date,
    days: int,
    practitioner_id: int | None = None,
    now: datetime | None = None,
) -> list[BookableDay]:
    found = availability(
        service=service,
        first_day=first_day,
        days=days,
        location_id=location.pk,
        practitioner_id=practitioner_id,
        now=now,
    )
    zone = location.zone
    by_day: dict[date, set[datetime]] = {
        day: set() for day in slots.days_from(first_day, days)
    }
    for slot in found.slots:
        local = slot.start.astimezone(zone)
        if local.date() in by_day:
            by_day[local.date()].add(local)
    return [BookableDay(day, sorted(times)) for day, times in by_day.items()]


def free_practitioners_at(
    *,
    service: Service,
    location: Location,
    starts_at: datetime,
    practitioner_id: int | None = None,
    now: datetime | None = None,
) -> list[int]:
    """The practitioners free for the service at exactly `starts_at`, a start the
    booking page offered (on the step grid, in working hours, with notice)."""
    day = starts_at.astimezone(location.zone).date()
    found = availability(
        service=service,
        first_day=day,
        days=1,
        location_id=location.pk,
        practitioner_id=practitioner_id,
        now=now,
    )
    return [slot.practitioner_id for slot in found.slots if slot.start == starts_at]


def practitioners_least_booked(
    practitioner_ids: list[int], *, day: date, zone
) -> list[int]:
    """The practitioners in the order "any practitioner" assigns them: fewest
    appointments that local day first (wherever they are), then the longest on the
    books (lowest id), so that the rule is fair and the same for everyone."""
    bounds = slots.local_day_bounds(day, zone)
    counts = dict(
        Appointment.objects.filter(
            practitioner_id__in=practitioner_ids,
            status__in=Appointment.BLOCKING,
            starts_at__gte=bounds.start,
            starts_at__lt=bounds.end,
        )
        .order_by()
        .values("practitioner_id")
        .annotate(booked=models.Count("pk"))
        .values_list("practitioner_id", "booked")
    )
    return sorted(set(practitioner_ids), key=lambda pk: (counts.get(pk, 0), pk))


# The waitlist.


def waitlist_entries_matching(*, freed, day: date) -> QuerySet[WaitlistEntry]:
    """Entries waiting for a time the freed appointment held, first added first:
    the day in their window, its practitioner and location or any, never its own
    client, clients who can be emailed, and not offered this freed time before (an
    appointment moved away, back and away again)."""
    offered = WaitlistOffer.objects.filter(
        freed_id=freed.appointment_id, freed_starts_at=freed.starts_at
    ).values("entry_id")
    return (
        WaitlistEntry.objects.filter(
            Q(practitioner_id=freed.practitioner_id) | Q(practitioner__isnull=True),
            Q(location_id=freed.location.pk) | Q(location__isnull=True),
            status=WaitlistEntry.Status.WAITING,
            earliest_on__lte=day,
            latest_on__gte=day,
            client__erased_at__isnull=True,
            # Offers go by email: not to a client who has since unsubscribed.
            client__reminder_consent=True,
        )
        .exclude(client_id=freed.client_id)
        .exclude(client__email="")
        .exclude(pk__in=offered)
        .select_related("client", "service")
        .order_by("created_at", "pk")
    )


def _offers_with_location() -> models.Prefetch:
    return models.Prefetch(
        "offers", queryset=WaitlistOffer.objects.select_related("location")
    )


def waitlist_for_user(user, *, today: date) -> QuerySet[WaitlistEntry]:
    """Entries still waiting whose window has not ended, soonest window first."""
    if not can(user, Capability.BOOKING):
        return WaitlistEntry.objects.none()
    return (
        WaitlistEntry.objects.filter(
            status=WaitlistEntry.Status.WAITING, latest_on__gte=today
        )
        .select_related("client", "service", "practitioner__user", "location")
        .prefetch_related(_offers_with_location())
        .order_by("earliest_on", "created_at", "pk")
    )


def waitlist_entry_get_for_user(user, pk: int) -> WaitlistEntry:
    if not can(user, Capability.BOOKING):
        raise Http404("No such waitlist entry.")
    entry = get_object_or_404(WaitlistEntry.objects.select_related("client"), pk=pk)
    refuse_erased(user, entry.client, "No such waitlist entry.")
    return entry


def client_waitlist(client) -> QuerySet[WaitlistEntry]:
    """A client's waitlist entries, with their offers, newest first."""
    return (
        WaitlistEntry.objects.filter(client=client)
        .select_related("service", "practitioner__user", "location", "appointment")
        .prefetch_related(_offers_with_location())
        .order_by("-created_at", "-pk")
    )


def waitlist_offered_count(appointment) -> int:
    """How many waiting clients the time an appointment held was offered to (that
    time only: offers of a time it was moved away from earlier are not counted)."""
    return WaitlistOffer.objects.filter(
        freed=appointment,
        freed_starts_at=appointment.starts_at,
        status=WaitlistOffer.Status.OPEN,
    ).count()


def waitlist_offer_for_link(pk) -> WaitlistOffer | None:
    return (
        WaitlistOffer.objects.select_related(
            "entry__client", "entry__service", "practitioner__user", "location"
        )
        .filter(pk=pk)
        .first()
    )


def client_timeline_events(user, client) -> list[TimelineEvent]:
    """The client's bookings on their timeline (a source of clients.selectors)."""
    return [
        TimelineEvent(
            a.starts_at,
            "Appointment",
            f"{a.service} with {a.practitioner}",
            f"{a.get_status_display()} · {a.location}",
            reverse("appointment_detail", args=[a.pk]),
            zone=a.location.timezone,
        )
        for a in Appointment.objects.filter(client=client).select_related(
            "service", "practitioner__user", "location"
        )
    ]


# The client list's columns (clients.selectors.client_list_facts_register): the latest
# visit and the soonest appointment, each with its location's zone, so a date reads as
# it did at the clinic. "Now" is the request's.
VISITED = [Appointment.Status.CHECKED_IN, Appointment.Status.COMPLETED]
UPCOMING = [Appointment.Status.BOOKED, Appointment.Status.CONFIRMED]


def client_list_visits(client_ids: list[int]) -> dict[int, dict[str, object]]:
    """Each client's last visit and next appointment, in one query."""
    starts = Appointment._meta.get_field("starts_at")
    now = sql.param(starts, timezone.now())
    facts = {
        pk: {
            "last_visit_at": None,
            "last_visit_zone": None,
            "next_appointment_at": None,
            "next_appointment_zone": None,
        }
        for pk in client_ids
    }
    for pk, status, starts_at, zone in sql.fetch(
        _client_visits_sql(len(client_ids)),
        [*client_ids, *VISITED, now, *UPCOMING, now],
        [None, None, starts, None],
    ):
        found = facts[pk]
        if status in VISITED:
            if found["last_visit_at"] is None or starts_at > found["last_visit_at"]:
                found.update(last_visit_at=starts_at, last_visit_zone=zone)
        elif (
            found["next_appointment_at"] is None
            or starts_at < found["next_appointment_at"]
        ):
            found.update(next_appointment_at=starts_at, next_appointment_zone=zone)
    return facts


@functools.lru_cache(maxsize=64)
def _client_visits_sql(count: int) -> str:
    """client_list_visits()'s query in SQL: the ORM took about 1 ms of Python to build
    and compile it, ten times what the database takes (core.sql)."""
    # Table names and placeholders only: every value is a parameter.
    return f"""
        SELECT a.client_id, a.status, a.starts_at, l.timezone
        FROM {sql.table(Appointment)} a
        JOIN {sql.table(Location)} l ON l.id = a.location_id
        WHERE a.client_id IN ({sql.placeholders(range(count))})
        AND (
            (a.status IN ({sql.placeholders(VISITED)}) AND a.starts_at <= %s)
            OR (a.status IN ({sql.placeholders(UPCOMING)}) AND a.starts_at >= %s)
        )"""  # noqa: S608


def _client_appointment_start(statuses, order: str, **when) -> models.Subquery:
    return models.Subquery(
        Appointment.objects.filter(
            client=models.OuterRef("pk"), status__in=statuses, **when
        )
        .order_by(order)
        .values("starts_at")[:1]
    )


def client_list_order_last_visit():
    visited = _client_appointment_start(
        VISITED, "-starts_at", starts_at__lte=timezone.now()
    )
    return visited.desc(nulls_last=True)


def client_list_order_next_appointment():
    upcoming = _client_appointment_start(
        UPCOMING, "starts_at", starts_at__gte=timezone.now()
    )
    return upcoming.asc(nulls_last=True)


# sort -> the expression it orders by (clients.selectors.client_list_order_register).
CLIENT_LIST_ORDERS = {
    "last_visit": client_list_order_last_visit,
    "next_appointment": client_list_order_next_appointment,
}
