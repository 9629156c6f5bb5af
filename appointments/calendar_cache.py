"""The version of what a calendar shows, so that a rendered day can be served from the
cache until something it shows changes.

Every save or delete of a row a calendar shows (appointments, clients' names,
practitioners and their users, hours, time off, closures, rooms, locations, services)
moves the version on: at once, so the change's own request sees it, and again when its
transaction commits, so that a page rendered meanwhile from the data before the commit
is not kept under the new version. Cached days carry the version in their key and
expire after CALENDAR_CACHE_SECONDS all the same, which bounds what a change made
behind the ORM's back (a queryset update, raw SQL) could leave showing.

A second version, SETUP_KEY, moves on only with what a schedule's set-up is made of
(hours, closures, rooms, locations, services, practitioners and where they work), not
with each booking: the API's free times keep that set-up under it and read the busy
time afresh (selectors.served_availability), so a day of bookings does not make every
answer start from scratch.

Signals, not the services: the admin, imports and purges change these rows too, and a
calendar that misses one change is worse than none. The receivers touch only the cache.
"""

import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from core.cache import AfterCommit, CacheUnavailable

KEY = "calendar-version"
SETUP_KEY = "schedule-setup-version"


def setup_models() -> tuple:
    """What a schedule's set-up is made of (with Practitioner.locations): the rows
    that move SETUP_KEY on, and that booking_cache forgets its rows on."""
    from appointments.models import (
        Closure,
        Location,
        Practitioner,
        Room,
        Service,
        WorkingHours,
    )

    return (Practitioner, WorkingHours, Closure, Room, Location, Service)


def version(key: str = KEY) -> int:
    found = cache.get(key)
    if found is None:
        # A fresh start above any version before it: an evicted or flushed counter
        # must not come back to a number a stale page is still cached under.
        found = time.time_ns() // 1000
        cache.add(key, found, timeout=None)
        found = cache.get(key, found)
    return found


def setup_version() -> int:
    return version(SETUP_KEY)


def _bump(key: str = KEY) -> None:
    try:
        cache.incr(key)
    except ValueError:  # not there: the next read starts afresh
        version(key)
    except CacheUnavailable:
        # Skipped: while the cache is down nothing is served from it, and what it
        # held expires within CALENDAR_CACHE_SECONDS of its coming back.
        pass


def _moved_on(keys: list[str]) -> None:
    for key in keys:
        _bump(key)
    # Named, so that what this transaction reads under the new version is not stored
    # before it commits (core.cache.changed_here; schedule()).
    transaction.on_commit(AfterCommit(keys, lambda: [_bump(key) for key in keys]))


def changed(**_signal) -> None:
    _moved_on([KEY])


def setup_changed(**_signal) -> None:
    _moved_on([KEY, SETUP_KEY])


def connect() -> None:
    """Called once from AppointmentsConfig.ready()."""
    from appointments.models import Appointment, Practitioner, TimeOff
    from clients.models import Client

    shown = (Appointment, Client, get_user_model(), TimeOff)
    for model in shown:
        post_save.connect(changed, sender=model, dispatch_uid=f"calendar-{model}")
        post_delete.connect(changed, sender=model, dispatch_uid=f"calendar-d-{model}")
    for model in setup_models():
        post_save.connect(setup_changed, sender=model, dispatch_uid=f"calendar-{model}")
        post_delete.connect(
            setup_changed, sender=model, dispatch_uid=f"calendar-d-{model}"
        )
    m2m_changed.connect(
        setup_changed,
        sender=Practitioner.locations.through,
        dispatch_uid="calendar-practitioner-locations",
    )


def seconds() -> int:
    return settings.CALENDAR_CACHE_SECONDS
