"""The services and practitioners a booking names, and their working hours, read
through the cache.

Every booking through the API loads its service and practitioner by id before anything
else, and both tables are small (a clinic's set-up: tens of rows) and change rarely.
Both are kept whole in the cache (AUTH_CACHE_SECONDS at most), so that a booking costs
no query for them whoever it is for, and forgotten on any save or delete of either
(the signals connected below, at once and again when the change commits:
core.cache.invalidate_on_commit), so a service retired or a practitioner stopped is
refused by the very next booking, as before. Each practitioner's working hours at
the active locations they work at are kept the same way, and all of it is forgotten
on any change to a schedule's set-up (calendar_cache.setup_models: hours, locations,
where a practitioner works...), so new hours count from the very next booking too.
The booking still reads afresh what changes all day: closures, time off and
appointments (services._check_schedule).

Signals, not the services: the admin and imports change these rows too.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import F
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import Http404

from appointments import calendar_cache, slots
from appointments.models import Location, Practitioner, Service, WorkingHours
from core.cache import invalidate_on_commit, read_through

KEY = "booking-rows:v1"
HOURS_KEY = "booking-hours:v2"


def _load() -> dict:
    return {
        Service: {row.pk: row for row in Service.objects.all()},
        Practitioner: {row.pk: row for row in Practitioner.objects.all()},
    }


def service_and_practitioner_or_404(
    service_id: int, practitioner_id: int
) -> tuple[Service, Practitioner]:
    """The booking's service and practitioner (one cache read), or Http404."""
    rows = read_through(KEY, _load, settings.AUTH_CACHE_SECONDS)
    service = rows[Service].get(service_id)
    practitioner = rows[Practitioner].get(practitioner_id)
    if service is None or practitioner is None:
        raise Http404("No such service or practitioner.")
    return service, practitioner


@dataclass(frozen=True)
class Weeks:
    """Each location once, and each practitioner's weekly blocks by location: kept
    as plain values, since a model instance per block (with its location) made the
    entry ten times the size and its unpickling the dearest step of a booking."""

    locations: dict[int, Location]
    weekly: dict[int, dict[int, list[slots.WeeklyBlock]]]


def _hours_load() -> Weeks:
    hours = (
        WorkingHours.objects.filter(
            location__is_active=True, location__practitioners=F("practitioner")
        )
        .select_related("location")
        .order_by("location__name", "location_id", "pk")
    )
    weeks = Weeks(locations={}, weekly={})
    for row in hours:
        weeks.locations.setdefault(row.location_id, row.location)
        weeks.weekly.setdefault(row.practitioner_id, {}).setdefault(
            row.location_id, []
        ).append(slots.WeeklyBlock(row.weekday, row.start_time, row.end_time))
    return weeks


def working_weeks(practitioner_id: int) -> list[tuple[Location, list]]:
    """The practitioner's weekly working blocks at each active location they work
    at, by location name (one cache read)."""
    weeks = read_through(HOURS_KEY, _hours_load, settings.AUTH_CACHE_SECONDS)
    return [
        (weeks.locations[location_id], blocks)
        for location_id, blocks in weeks.weekly.get(practitioner_id, {}).items()
    ]


def forget(**_signal) -> None:
    invalidate_on_commit([KEY, HOURS_KEY])


def connect() -> None:
    """Called once from AppointmentsConfig.ready()."""
    for model in calendar_cache.setup_models():
        post_save.connect(forget, sender=model, dispatch_uid=f"booking-row-{model}")
        post_delete.connect(forget, sender=model, dispatch_uid=f"booking-row-d-{model}")
    m2m_changed.connect(
        forget,
        sender=Practitioner.locations.through,
        dispatch_uid="booking-rows-practitioner-locations",
    )
