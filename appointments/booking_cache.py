"""The services and practitioners a booking names, read through the cache.

Every booking through the API loads its service and practitioner by id before anything
else, and both tables are small (a clinic's set-up: tens of rows) and change rarely.
Both are kept whole in the cache (AUTH_CACHE_SECONDS at most), so that a booking costs
no query for them whoever it is for, and forgotten on any save or delete of either
(the signals connected below, at once and again when the change commits:
core.cache.invalidate_on_commit), so a service retired or a practitioner stopped is
refused by the very next booking, as before. The booking still reads afresh what
decides whether the time is free: hours, closures, time off and appointments
(services._place).

Signals, not the services: the admin and imports change these rows too.
"""

from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.http import Http404

from appointments.models import Practitioner, Service
from core.cache import invalidate_on_commit, read_through

KEY = "booking-rows:v1"


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


def forget(**_signal) -> None:
    invalidate_on_commit([KEY])


def connect() -> None:
    """Called once from AppointmentsConfig.ready()."""
    for model in (Service, Practitioner):
        post_save.connect(forget, sender=model, dispatch_uid=f"booking-row-{model}")
        post_delete.connect(forget, sender=model, dispatch_uid=f"booking-row-d-{model}")
