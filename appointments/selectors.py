from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from appointments import slots
from appointments.models import (
    Appointment,
    Closure,
    Location,
    Practitioner,
    Room,
    Service,
    TimeOff,
    WorkingHours,
)
from smp_clinic.roles import Capability, can


def slot_step() -> timedelta:
    return timedelta(minutes=settings.BOOKING_SLOT_STEP_MINUTES)


def min_notice() -> timedelta:
    return timedelta(minutes=settings.BOOKING_MIN_NOTICE_MINUTES)


@dataclass(frozen=True)
class Schedule:
    """Everything the slot arithmetic needs for a service, locations and dates."""

    locations: dict[int, Location]
    blocks: list[slots.Block]
    busy_by_practitioner: dict[int, slots.BusyTimeline]
    busy_by_room: dict[int, slots.BusyTimeline]
    rooms_by_location: dict[int, list[int]] | None


def schedule_load(
    *,
    service: Service,
    first_day: date,
    days: int,
    practitioner_id: int | None = None,
    location_id: int | None = None,
    exclude_appointment_id: int | None = None,
) -> Schedule:
    """Load working blocks and busy time in six queries, whatever the data's size."""
    location_filter = Q(is_active=True)
    if location_id is not None:
        location_filter &= Q(pk=location_id)
    locations = {loc.pk: loc for loc in Location.objects.filter(location_filter)}

    hours = WorkingHours.objects.filter(
        location_id__in=locations, practitioner__is_active=True
    )
    if practitioner_id is not None:
        hours = hours.filter(practitioner_id=practitioner_id)
    weekly: dict[tuple[int, int], list[slots.WeeklyBlock]] = defaultdict(list)
    for pid, lid, weekday, start, end in hours.values_list(
        "practitioner_id", "location_id", "weekday", "start_time", "end_time"
    ):
        weekly[pid, lid].append(slots.WeeklyBlock(weekday, start, end))

    day_list = slots.days_from(first_day, days)
    closed: dict[int | None, set[date]] = defaultdict(set)
    for lid, day in Closure.objects.filter(
        Q(location_id__in=locations) | Q(location__isnull=True),
        date__gte=day_list[0],
        date__lte=day_list[-1],
    ).values_list("location_id", "date"):
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

    busy_by_practitioner: dict[int, list[slots.Interval]] = defaultdict(list)
    for pid, start, end in TimeOff.objects.filter(
        practitioner_id__in=practitioner_ids,
        starts_at__lt=window.end,
        ends_at__gt=window.start,
    ).values_list("practitioner_id", "starts_at", "ends_at"):
        busy_by_practitioner[pid].append(slots.Interval(start, end))

    rooms_by_location = None
    room_ids: list[int] = []
    if service.needs_room:
        rooms_by_location = defaultdict(list)
        for room_id, lid in Room.objects.filter(
            location_id__in=locations, is_active=True
        ).values_list("id", "location_id"):
            rooms_by_location[lid].append(room_id)
            room_ids.append(room_id)

    busy_by_room: dict[int, list[slots.Interval]] = defaultdict(list)
    appointments = Appointment.objects.filter(
        Q(practitioner_id__in=practitioner_ids) | Q(room_id__in=room_ids),
        status__in=Appointment.BLOCKING,
        busy_starts_at__lt=window.end,
        busy_ends_at__gt=window.start,
    )
    if exclude_appointment_id is not None:
        appointments = appointments.exclude(pk=exclude_appointment_id)
    for pid, room_id, start, end in appointments.values_list(
        "practitioner_id", "room_id", "busy_starts_at", "busy_ends_at"
    ):
        interval = slots.Interval(start, end)
        busy_by_practitioner[pid].append(interval)
        if room_id is not None:
            busy_by_room[room_id].append(interval)

    return Schedule(
        locations=locations,
        blocks=blocks,
        busy_by_practitioner={
            pid: slots.BusyTimeline(v) for pid, v in busy_by_practitioner.items()
        },
        busy_by_room={rid: slots.BusyTimeline(v) for rid, v in busy_by_room.items()},
        rooms_by_location=rooms_by_location,
    )


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
        who,
        status__in=Appointment.BLOCKING,
        busy_starts_at__lt=held.end,
        busy_ends_at__gt=held.start,
    ).select_related("client", "service", "practitioner__user", "room")
    if exclude_appointment_id is not None:
        found = found.exclude(pk=exclude_appointment_id)
    return found


def appointment_get_for_user(user, pk: int) -> Appointment:
    """An appointment the user may see (every booking role sees the calendar)."""
    if not can(user, Capability.BOOKING):
        raise Http404("No such appointment.")
    return get_object_or_404(
        Appointment.objects.select_related(
            "client", "service", "practitioner__user", "location", "room"
        ),
        pk=pk,
    )


def service_list_active() -> QuerySet[Service]:
    return Service.objects.filter(is_active=True)


def practitioner_list_active() -> QuerySet[Practitioner]:
    return Practitioner.objects.filter(is_active=True).select_related("user")


def location_zones() -> dict[int, object]:
    return {loc.pk: loc.zone for loc in Location.objects.all()}


@dataclass(frozen=True)
class LocationDay:
    location: Location
    day: date
    appointments: list[Appointment]


def appointments_today(*, user, now: datetime | None = None) -> list[LocationDay]:
    """Today's appointments per location, each location's today in its own zone.

    A practitioner sees their own; the front desk and managers see everyone's. Two
    queries, whatever the number of locations or appointments.
    """
    if not can(user, Capability.BOOKING):
        return []
    now = now or timezone.now()
    locations = list(Location.objects.filter(is_active=True))
    days = {loc.pk: now.astimezone(loc.zone).date() for loc in locations}
    window = Q(pk__in=[])
    for loc in locations:
        bounds = slots.local_day_bounds(days[loc.pk], loc.zone)
        window |= Q(location=loc, starts_at__gte=bounds.start, starts_at__lt=bounds.end)
    found = Appointment.objects.filter(window).select_related(
        "client", "service", "practitioner__user", "room"
    )
    if not can(user, Capability.MANAGEMENT) and hasattr(user, "practitioner"):
        found = found.filter(practitioner__user=user)
    by_location: dict[int, list[Appointment]] = defaultdict(list)
    for appointment in found.order_by("starts_at"):
        by_location[appointment.location_id].append(appointment)
    return [LocationDay(loc, days[loc.pk], by_location[loc.pk]) for loc in locations]
