"""The version of what a calendar shows, so that a rendered day can be served from the
cache until something it shows changes.

A day's version has two parts. Every save or delete of an appointment renews the
version of each span of three hours (in UTC) it holds, as it is and as it was read,
and a day's page is kept under the versions of the spans its local day touches
(day_version, SPAN_KEY): a booking for next week leaves today's pages in the cache.
Every other row a calendar shows (clients' names, practitioners and their users,
hours, time off, closures, rooms, locations, services) moves on the one version all
days share (KEY). Either moves on at once, so the change's own request sees it, and
again when its transaction commits, so that a page rendered meanwhile from the data
before the commit is not kept under the new version. Cached days carry the version in
their key and expire after CALENDAR_CACHE_SECONDS all the same, which bounds what a
change made behind the ORM's back (a queryset update, raw SQL) could leave showing.

A second version, SETUP_KEY, moves on only with what a schedule's set-up is made of
(hours, closures, rooms, locations, services, practitioners and where they work), not
with each booking: the API's free times keep that set-up under it and read the busy
time afresh (selectors.served_availability), so a day of bookings does not make every
answer start from scratch.

Signals, not the services: the admin, imports and purges change these rows too, and a
calendar that misses one change is worse than none. The receivers touch only the cache.
"""

import secrets
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from appointments import slots
from core.cache import AfterCommit, CacheUnavailable, changed_here

KEY = "calendar-version"
SETUP_KEY = "schedule-setup-version"
SPAN_KEY = "calendar-span-version:{}"
# A span's version is a fresh token each time, never a value that can come back, so
# it may expire or be evicted at any time: the pages under it are never served again.
# Three hours (a divisor of 24): a day's page reads nine (ten on a 25-hour day).
SPAN_HOURS = 3


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


T = TypeVar("T")

# What set_up() keeps in this process: name -> (the set-up version, read until).
_kept: dict[str, tuple[int, float, object]] = {}


def set_up_forget() -> None:
    """Forget what set_up() keeps, as when the cache it is keyed on starts afresh: a
    version started afresh is the clock's time, and a test's clock is frozen."""
    _kept.clear()


def set_up(name: str, read: Callable[[], T], at: int | None = None) -> T:
    """`read()`'s value, kept in this process while the schedule's set-up stays at
    one version (SETUP_KEY, or `at` when the caller read it already), and for
    CALENDAR_CACHE_SECONDS at most: the locations a calendar offers, the
    practitioners' colours. Small, read on every calendar, changed a few times a
    year.

    The version itself is read from the cache each time, so a change made in any
    process is seen by all at their next request; a transaction that changed the
    set-up and has not committed keeps nothing (core.cache.changed_here). The time
    limit bounds, as for the cached pages, what a change the signals miss (a queryset
    update, raw SQL, a version bump lost while Redis was away) could leave showing."""
    at = setup_version() if at is None else at
    now = time.monotonic()
    kept = _kept.get(name)
    if kept is not None and kept[0] == at and now < kept[1]:
        return kept[2]
    value = read()
    if not changed_here(SETUP_KEY):
        _kept[name] = (at, now + seconds(), value)
    return value


def day_version(day: date, zone) -> str:
    """The version of a location's day: the shared version and those of the UTC
    spans its local day touches, read in one round trip. Spans of UTC, not the local
    date, so that any location's zone, a 25-hour day and a practitioner's booking at
    another location are all covered without knowing a zone when an appointment is
    saved."""
    bounds = slots.local_day_bounds(day, zone)
    spans = [SPAN_KEY.format(span) for span in spans_touched(bounds.start, bounds.end)]
    found = cache.get_many([KEY, *spans])
    shared = found.get(KEY) or version()
    missing = {key: secrets.token_hex(8) for key in spans if key not in found}
    if missing:
        # Set, in one round trip, and used as set: the page is read from the
        # database after this, so it holds any change committed before it; a change
        # renewing a span meanwhile leaves a page that is never served.
        cache.set_many(missing, seconds())
        found |= missing
    return ".".join([str(shared), *(str(found[key]) for key in spans)])


def spans_touched(starts_at: datetime, ends_at: datetime) -> list[str]:
    """The UTC spans of SPAN_HOURS (named by their start, "2026-03-02T09") that the
    time from starts_at to ends_at touches."""
    start = starts_at.astimezone(UTC)
    span = start.replace(
        hour=start.hour - start.hour % SPAN_HOURS, minute=0, second=0, microsecond=0
    )
    found = []
    while span < ends_at:
        found.append(span.strftime("%Y-%m-%dT%H"))
        span += timedelta(hours=SPAN_HOURS)
    return found


def appointment_spans(appointment) -> set[str]:
    """The spans an appointment holds (its buffers included: they cover its own
    time), as it is and as it ever was in this instance, read or saved: a moved
    appointment leaves its old day too, a save rolled back included."""
    spans = set()
    for starts_at, ends_at in {
        *getattr(appointment, "busy_held", ()),
        (appointment.busy_starts_at, appointment.busy_ends_at),
    }:
        if starts_at is not None and ends_at is not None:
            spans.update(spans_touched(starts_at, ends_at))
    return spans


def _renew(keys: list[str]) -> None:
    cache.set_many({key: secrets.token_hex(8) for key in keys}, seconds())


def appointment_changed(instance, **_signal) -> None:
    spans = appointment_spans(instance)
    instance.busy_held = {
        *getattr(instance, "busy_held", ()),
        (instance.busy_starts_at, instance.busy_ends_at),
    }
    if not spans:
        return
    keys = [SPAN_KEY.format(span) for span in sorted(spans)]
    _renew(keys)
    transaction.on_commit(AfterCommit(keys, lambda: _renew(keys)))


def _bump(key: str = KEY) -> None:
    try:
        cache.incr(key)
    except ValueError:  # not there: the next read starts afresh
        version(key)
    except CacheUnavailable:
        # Forgotten instead (deleted at once when Redis only refuses writes, on its
        # return when it is down): the next read starts the version afresh, above
        # every page cached under the old one.
        cache.delete(key)


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

    post_save.connect(
        appointment_changed, sender=Appointment, dispatch_uid="calendar-appointment"
    )
    post_delete.connect(
        appointment_changed, sender=Appointment, dispatch_uid="calendar-d-appointment"
    )
    shown = (Client, get_user_model(), TimeOff)
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
