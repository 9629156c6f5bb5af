"""Every write to the schedule. Two blocking appointments never overlap for one
practitioner or one room: PostgreSQL enforces it with exclusion constraints (migration
0002); on SQLite every transaction takes the write lock when it begins (settings:
transaction_mode IMMEDIATE), so the check below and the insert cannot interleave with
another booking's.
"""

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django import forms
from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from appointments import booking_cache, feeds, gates, hooks, selectors, slots
from appointments.models import (
    Appointment,
    Closure,
    Location,
    Practitioner,
    Room,
    Service,
    TimeOff,
    WaitlistEntry,
    WaitlistOffer,
)
from clients import selectors as client_selectors
from clients import services as client_services
from clients.models import Client, ConsentKind
from clients.photos import CleanPhoto
from core import sql
from core.accounts import staff_create, staff_invite_send
from core.roles import Capability, Role, can


class BookingError(Exception):
    """A booking that cannot be made, with a message for the person booking."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class TreatmentRefused(BookingError):
    """The client's record lacks what a treatment needs (appointments.gates): every
    missing item, each with the page that fixes it."""

    def __init__(self, message: str, missing: list[gates.GateMissing]):
        super().__init__(message)
        self.missing = missing


def treatment_gate_check(
    client: Client,
    service: Service,
    on: datetime,
    *,
    location: Location | None = None,
    plan=None,
    skip: frozenset[str] = frozenset(),
) -> None:
    """Raise TreatmentRefused unless every gate lets `client` have `service` at
    `on`. Every path that books or records a treatment calls this."""
    missing = gates.treatment_gate(
        client, service, on, location=location, plan=plan, skip=skip
    )
    if missing:
        raise TreatmentRefused(gates.refusal_message(client, service, missing), missing)


@dataclass(eq=False)
class BookingConflict(BookingError):
    message: str
    conflicts: list[Appointment] = field(default_factory=list)
    next_slots: list[slots.Slot] = field(default_factory=list)

    def __post_init__(self):
        super().__init__(self.message)


@dataclass(frozen=True)
class Placement:
    location: Location
    room: Room | None
    starts_at: datetime
    ends_at: datetime
    held: slots.Interval
    # Whether a blocking appointment holds some of that time (checked without an
    # override only): the booking then loads and describes them (_conflict).
    overlapping: bool = False


def describe(appointment: Appointment) -> str:
    zone = appointment.location.zone
    start = appointment.starts_at.astimezone(zone)
    end = appointment.ends_at.astimezone(zone)
    where = f" in {appointment.room.name}" if appointment.room_id else ""
    return (
        f"{appointment.practitioner} has {appointment.service} with "
        f"{appointment.client} {start:%a %d %b %H:%M}–{end:%H:%M}{where}"
    )


def _working_location(
    practitioner: Practitioner, held: slots.Interval
) -> tuple[Location | None, bool, set[int]]:
    """The location whose working block holds `held`, whether one does, and the
    active locations the practitioner works at with hours (from the cache: the hours
    with their locations, at the practitioner's own active locations)."""
    weeks = booking_cache.working_weeks(practitioner.pk)
    locations = {location.pk for location, _ in weeks}
    for location, weekly in weeks:
        zone = location.zone
        day = held.start.astimezone(zone).date()
        for candidate in (day - timedelta(days=1), day):
            if slots.within_blocks(
                held, slots.working_intervals(candidate, weekly, zone)
            ):
                return location, True, locations
    return None, False, locations


def _check_schedule(
    practitioner: Practitioner,
    location: Location,
    held: slots.Interval,
    starts_at: datetime,
    *,
    room: Room | None,
    exclude_appointment_id: int | None,
) -> bool:
    """Refuse a closure of the location that day or the practitioner's time off
    then; return whether a blocking appointment of the practitioner, or of the room
    asked for, holds time in `held`. One query for the three: the caller loads what
    overlaps, to describe it, only in the rare case that something does."""
    local_day = starts_at.astimezone(location.zone).date()
    # A room _place picks is free by the same test (_free_room); a room asked for
    # is checked here. The exclusion constraint still has the last word on insert.
    rooms = [] if room is None else [room.pk]
    excluded = [] if exclude_appointment_id is None else [exclude_appointment_id]
    holding = selectors.holding_time_params(held)
    end, _, start = holding
    found = sql.fetch(
        _schedule_check_sql(bool(rooms), bool(excluded)),
        [
            location.pk,
            sql.param(Closure._meta.get_field("date"), local_day),
            *[practitioner.pk, end, start],
            *[practitioner.pk, *rooms, *holding, *Appointment.BLOCKING, *excluded],
        ],
        [None, None],
    )
    for what, name in sorted(found):  # a closure first, then time off, as before
        if what == "closure":
            raise BookingError(f"{location} is closed that day ({name}).")
        if what == "off":
            raise BookingError(f"{practitioner} is off at that time.")
    return bool(found)


@functools.cache
def _schedule_check_sql(room: bool, excluding: bool) -> str:
    """_check_schedule()'s one query: a closure of the location (or of every
    location) that day, the practitioner's time off then, and a blocking appointment
    of the practitioner or the room holding time then (selectors.blocking_overlaps()).
    In SQL written here: the ORM's union of the three took about a third of a
    booking's time to build and compile (core.sql)."""
    # Table names, columns and placeholders only: every value is a parameter.
    return f"""
        SELECT 'closure', name FROM {sql.table(Closure)}
        WHERE (location_id = %s OR location_id IS NULL) AND date = %s
        UNION ALL
        SELECT 'off', '' FROM {sql.table(TimeOff)}
        WHERE practitioner_id = %s AND starts_at < %s AND ends_at > %s
        UNION ALL
        SELECT 'overlap', '' FROM {sql.table(Appointment)}
        WHERE (practitioner_id = %s{" OR room_id = %s" if room else ""})
        AND {selectors.HOLDING_TIME_SQL}
        AND status IN ({sql.placeholders(Appointment.BLOCKING)})
        {"AND id <> %s" if excluding else ""}"""  # noqa: S608


def _place(
    *,
    service: Service,
    practitioner: Practitioner,
    starts_at: datetime,
    location: Location | None,
    room: Room | None,
    override: bool,
    exclude_appointment_id: int | None = None,
) -> Placement:
    if timezone.is_naive(starts_at):
        raise BookingError("The start time needs a time zone offset.")
    if not service.is_active:
        raise BookingError(f"{service} is no longer offered.")
    if not practitioner.is_active:
        raise BookingError(f"{practitioner} is not taking bookings.")
    span = selectors.service_span(service)
    held = span.busy(starts_at)
    starts_at = starts_at.astimezone(UTC)

    if not override and starts_at < timezone.now() + selectors.min_notice():
        raise BookingError(
            "That time has passed or is too soon: bookings need "
            f"{settings.BOOKING_MIN_NOTICE_MINUTES} minutes' notice."
        )
    working_location, in_hours, member_of = _working_location(practitioner, held)
    overlapping = False
    location = location or working_location
    if location is None:
        only = list(practitioner.locations.filter(is_active=True)[:2])
        if len(only) != 1 or not override:
            raise BookingError(
                f"{practitioner} does not work at that time"
                " (outside working hours or a break)."
            )
        location = only[0]
    # The hours just read name the practitioner's active locations: ask again only
    # for another one.
    if (
        location.pk not in member_of
        and not practitioner.locations.filter(pk=location.pk).exists()
    ):
        raise BookingError(f"{practitioner} does not work at {location}.")
    if not override:
        if not in_hours or working_location != location:
            raise BookingError(
                f"{practitioner} does not work at {location} at that time"
                " (outside working hours or a break)."
            )
        overlapping = _check_schedule(
            practitioner,
            location,
            held,
            starts_at,
            room=room,
            exclude_appointment_id=exclude_appointment_id,
        )

    if room is not None and room.location_id != location.pk:
        raise BookingError(f"{room.name} is not at {location}.")
    if service.needs_room and room is None:
        room = _free_room(location, held, exclude_appointment_id)
        if room is None and not override:
            raise BookingConflict(
                message=f"Every room at {location} is taken at that time.",
                conflicts=list(
                    selectors.blocking_overlaps(
                        held=held, practitioner_id=practitioner.pk, room_id=None
                    )
                ),
            )
    return Placement(
        location, room, starts_at, starts_at + span.duration, held, overlapping
    )


def _free_room(
    location: Location, held: slots.Interval, exclude_appointment_id: int | None
) -> Room | None:
    taken = Appointment.objects.filter(
        selectors.holding_time_in(held),
        room__location=location,
        status__in=Appointment.BLOCKING,
    )
    if exclude_appointment_id is not None:
        taken = taken.exclude(pk=exclude_appointment_id)
    return (
        Room.objects.filter(location=location, is_active=True)
        .exclude(pk__in=taken.values("room_id"))
        .first()
    )


def _check_client(
    client: Client,
    service: Service,
    starts_at: datetime,
    location: Location | None = None,
) -> None:
    """Refuse what would be unsafe for this client, saying why."""
    if client.erased_at:
        raise BookingError("This client's record was erased: add them again.")
    treatment_gate_check(client, service, starts_at, location=location)


def _check_override(user, overlap_reason: str) -> bool:
    if not overlap_reason:
        return False
    if user is None or not can(user, Capability.MANAGEMENT):
        raise BookingError("Only a manager may book over another appointment.")
    return True


def _conflict(
    *,
    service: Service,
    practitioner: Practitioner,
    placement: Placement,
    exclude_appointment_id: int | None,
) -> BookingConflict | None:
    conflicts = list(
        selectors.blocking_overlaps(
            held=placement.held,
            practitioner_id=practitioner.pk,
            room_id=placement.room.pk if placement.room else None,
            exclude_appointment_id=exclude_appointment_id,
        )
    )
    if not conflicts:
        return None
    return BookingConflict(
        message="That time is taken: "
        + "; ".join(describe(a) for a in conflicts)
        + ".",
        conflicts=conflicts,
        next_slots=next_free_slots(
            service=service,
            practitioner=practitioner,
            after=placement.starts_at,
            location=placement.location,
            exclude_appointment_id=exclude_appointment_id,
        ),
    )


def next_free_slots(
    *,
    service: Service,
    practitioner: Practitioner,
    after: datetime,
    location: Location,
    count: int = 3,
    exclude_appointment_id: int | None = None,
) -> list[slots.Slot]:
    """The practitioner's next free starts for the service, within two weeks."""
    first_day = max(after, timezone.now()).astimezone(location.zone).date()
    found = selectors.availability(
        service=service,
        first_day=first_day,
        days=14,
        practitioner_id=practitioner.pk,
        location_id=location.pk,
        exclude_appointment_id=exclude_appointment_id,
    )
    return [slot for slot in found.slots if slot.start >= after][:count]


# Instances the booking services have just loaded: looking each up again in
# full_clean() proves nothing new.
LOADED_RELATIONS = (
    "client",
    "service",
    "practitioner",
    "location",
    "room",
    "booked_by",
    "overlap_approved_by",
)


def _save_or_conflict(appointment: Appointment, conflict_args: dict) -> Appointment:
    # Check constraints hold by construction here and the database enforces them on
    # insert all the same; validating them in Python cost a query and two savepoints
    # each, 20 of a booking's 41 statements (bench/RESULTS.md).
    appointment.full_clean(exclude=LOADED_RELATIONS, validate_constraints=False)
    try:
        with transaction.atomic():
            appointment.save()
    except IntegrityError as error:
        # PostgreSQL's exclusion constraint caught a booking that committed between
        # our check and this insert.
        conflict = _conflict(**conflict_args)
        raise conflict or BookingConflict(
            message="That time was just taken by another booking."
        ) from error
    return appointment


class _TakenMeanwhile(Exception):
    """The insert of a new appointment broke a constraint: another booking committed
    between our check and the insert. Raised out of the booking's transaction (or
    savepoint), which rolls it back, so the conflict can be read and described after."""

    def __init__(self, conflict_args: dict):
        super().__init__("taken meanwhile")
        self.conflict_args = conflict_args


def _insert(appointment: Appointment, conflict_args: dict) -> Appointment:
    """_save_or_conflict for a new appointment, without a savepoint of its own (two
    round trips a booking): the booking's own atomic block is the one rolled back."""
    appointment.full_clean(exclude=LOADED_RELATIONS, validate_constraints=False)
    try:
        appointment.save()
    except IntegrityError as error:
        raise _TakenMeanwhile(conflict_args) from error
    return appointment


def _conflict_read_after_rollback(book):
    """When PostgreSQL's exclusion constraint refuses the insert (_TakenMeanwhile), the
    booking's transaction, or inside a caller's its savepoint, is rolled back first and
    what took the time is read and described afterwards: a statement after a failed
    one in the same transaction would be refused."""

    @functools.wraps(book)
    def booking(**kwargs):
        try:
            return book(**kwargs)
        except _TakenMeanwhile as taken:
            conflict = _conflict(**taken.conflict_args)
            raise conflict or BookingConflict(
                message="That time was just taken by another booking."
            ) from taken.__cause__

    return booking


@_conflict_read_after_rollback
@transaction.atomic
def appointment_book(
    *,
    client: Client,
    service: Service,
    practitioner: Practitioner,
    starts_at: datetime,
    booked_by,
    source: str = Appointment.Source.FRONT_DESK,
    location: Location | None = None,
    room: Room | None = None,
    notes: str = "",
    overlap_reason: str = "",
    confirm: bool = True,
    held_until: datetime | None = None,
) -> Appointment:
    """Book one appointment, or raise BookingError / BookingConflict and change nothing.

    confirm=False: the caller books several and announces them together (a course
    sends one confirmation listing every session), so this one sends none of its own.

    held_until: the appointment awaits its deposit (paid by card online) and holds
    its time until then; it is announced (confirmation, reminders) once paid
    (appointment_deposit_paid), released otherwise (appointment_hold_release).

    With `overlap_reason` a manager books over working hours, notice and other
    appointments deliberately; the approval and reason are stored on the appointment.
    """
    override = _check_override(booked_by, overlap_reason.strip())
    _check_client(client, service, starts_at, location)
    placement = _place(
        service=service,
        practitioner=practitioner,
        starts_at=starts_at,
        location=location,
        room=room,
        override=override,
    )
    conflict_args = {
        "service": service,
        "practitioner": practitioner,
        "placement": placement,
        "exclude_appointment_id": None,
    }
    if placement.overlapping and (conflict := _conflict(**conflict_args)):
        raise conflict
    appointment = Appointment(
        client=client,
        service=service,
        practitioner=practitioner,
        location=placement.location,
        room=placement.room,
        starts_at=placement.starts_at,
        ends_at=placement.ends_at,
        busy_starts_at=placement.held.start,
        busy_ends_at=placement.held.end,
        source=source,
        notes=notes,
        booked_by=booked_by,
        overlap_approved_by=booked_by if override else None,
        overlap_reason=overlap_reason.strip() if override else "",
    )
    if held_until is not None:
        appointment.status = Appointment.Status.AWAITING_DEPOSIT
        appointment.held_until = held_until
    appointment = _insert(appointment, conflict_args)
    if held_until is None:
        hooks.appointment_booked(appointment=appointment, confirm=confirm)
    return appointment


@transaction.atomic
def appointment_deposit_paid(*, appointment: Appointment) -> bool:
    """The deposit of an appointment held for it is paid: it is confirmed, and
    announced now as any booking is (confirmation, reminders). False when it was not
    held (a deposit asked by the desk for a booked one, or a hold released already)."""
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if appointment.status != Appointment.Status.AWAITING_DEPOSIT:
        return False
    appointment.status = Appointment.Status.CONFIRMED
    appointment.held_until = None
    appointment.save(update_fields=["status", "held_until", "updated_at"])
    hooks.appointment_booked(appointment=appointment, confirm=True)
    return True


HOLD_RELEASED = "The deposit was not paid within {minutes} minutes: the time is free."


@transaction.atomic
def appointment_hold_release(
    *, appointment: Appointment, now: datetime | None = None
) -> Appointment | None:
    """Cancel an appointment whose hold ran out unpaid, and offer its time to the
    waitlist (appointment_cancel does). None if it was paid or released meanwhile."""
    now = now or timezone.now()
    locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if locked.status != Appointment.Status.AWAITING_DEPOSIT or locked.held_until > now:
        return None
    reason = HOLD_RELEASED.format(minutes=settings.DEPOSIT_HOLD_MINUTES)
    return appointment_cancel(appointment=locked, reason=reason, by=None)


@transaction.atomic
def appointment_reschedule(
    *,
    appointment: Appointment,
    starts_at: datetime,
    by,
    practitioner: Practitioner | None = None,
    room: Room | None = None,
    overlap_reason: str = "",
) -> Appointment:
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if appointment.status not in (
        Appointment.Status.BOOKED,
        Appointment.Status.CONFIRMED,
    ):
        raise BookingError(
            f"A {appointment.get_status_display().lower()} appointment cannot be moved."
        )
    freed = FreedTime.of(appointment)
    was = appointment.starts_at
    override = _check_override(by, overlap_reason.strip())
    _check_client(
        appointment.client, appointment.service, starts_at, appointment.location
    )
    practitioner = practitioner or appointment.practitioner
    placement = _place(
        service=appointment.service,
        practitioner=practitioner,
        starts_at=starts_at,
        location=None,
        room=room,
        override=override,
        exclude_appointment_id=appointment.pk,
    )
    conflict_args = {
        "service": appointment.service,
        "practitioner": practitioner,
        "placement": placement,
        "exclude_appointment_id": appointment.pk,
    }
    if placement.overlapping and (conflict := _conflict(**conflict_args)):
        raise conflict
    appointment.practitioner = practitioner
    appointment.location = placement.location
    appointment.room = placement.room
    appointment.starts_at = placement.starts_at
    appointment.ends_at = placement.ends_at
    appointment.busy_starts_at = placement.held.start
    appointment.busy_ends_at = placement.held.end
    # A moved appointment is booked again: the client has not confirmed the new time.
    appointment.status = Appointment.Status.BOOKED
    appointment.overlap_approved_by = by if override else None
    appointment.overlap_reason = overlap_reason.strip() if override else ""
    appointment.calendar_sequence += 1
    appointment = _save_or_conflict(appointment, conflict_args)
    hooks.appointment_moved(appointment=appointment, was=was)
    waitlist_offers_make(freed=freed)
    return appointment


def _transition(appointment: Appointment, to: str, *, check=None) -> Appointment:
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if not appointment.can_become(to):
        raise BookingError(
            f"A {appointment.get_status_display().lower()} appointment cannot be "
            f"marked {Appointment.Status(to).label.lower()}."
        )
    if check is not None:
        check(appointment)
    appointment.status = to
    appointment.full_clean()
    appointment.save()
    return appointment


@transaction.atomic
def appointment_cancel(
    *, appointment: Appointment, reason: str, by, by_client: bool = False
) -> Appointment:
    """by_client: the client cancelled it themselves (their email link); otherwise
    the clinic did, and the client's email apologises and offers to rebook."""
    reason = reason.strip()
    if not reason:
        raise BookingError("Give a reason for the cancellation.")

    def record(locked: Appointment) -> None:
        locked.cancellation_reason = reason[:200]
        locked.calendar_sequence += 1

    freed = FreedTime.of(appointment)
    cancelled = _transition(appointment, Appointment.Status.CANCELLED, check=record)
    hooks.appointment_cancelled(appointment=cancelled, by_client=by_client)
    waitlist_offers_make(freed=freed)
    return cancelled


@transaction.atomic
def appointment_confirm(*, appointment: Appointment, by=None) -> Appointment:
    return _transition(appointment, Appointment.Status.CONFIRMED)


def _refuse_unless(refusal: str | None) -> None:
    if refusal:
        raise BookingError(refusal)


@transaction.atomic
def appointment_check_in(*, appointment: Appointment, by) -> Appointment:
    return _transition(
        appointment,
        Appointment.Status.CHECKED_IN,
        check=lambda locked: _refuse_unless(locked.arrive_refusal(timezone.now())),
    )


@transaction.atomic
def appointment_complete(*, appointment: Appointment, by) -> Appointment:
    completed = _transition(
        appointment,
        Appointment.Status.COMPLETED,
        check=lambda locked: _refuse_unless(locked.complete_refusal(timezone.now())),
    )
    hooks.appointment_completed(appointment=completed)
    return completed


@transaction.atomic
def appointment_mark_no_show(*, appointment: Appointment, by) -> Appointment:
    missed = _transition(
        appointment,
        Appointment.Status.NO_SHOW,
        check=lambda locked: _refuse_unless(locked.no_show_refusal(timezone.now())),
    )
    hooks.appointment_missed(appointment=missed)
    return missed


# Manager set-up: locations, rooms, services, practitioners, hours, time off, closures.


@transaction.atomic
def setup_record_save(*, form: forms.ModelForm) -> models.Model:
    """Save a validated set-up form (the model's full_clean ran in is_valid)."""
    return form.save()


@transaction.atomic
def practitioner_create(
    *,
    first_name: str,
    last_name: str,
    email: str,
    username: str,
    licence_number: str,
    locations,
    colour: str,
) -> Practitioner:
    """A practitioner with a new staff account; they get an email to set a password."""
    user = staff_create(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        roles=[Role.PRACTITIONER],
    )
    practitioner = Practitioner(user=user, licence_number=licence_number, colour=colour)
    practitioner.full_clean()
    practitioner.save()
    practitioner.locations.set(locations)
    transaction.on_commit(lambda: staff_invite_send(user=user))
    return practitioner


@transaction.atomic
def working_hours_save(*, formset) -> None:
    """Replace a practitioner's week with a validated formset's blocks.

    Appointments already booked stay: changed hours affect new bookings only.
    """
    formset.save()


@transaction.atomic
def time_off_add(
    *, practitioner: Practitioner, starts_at: datetime, ends_at: datetime, reason: str
) -> TimeOff:
    time_off = TimeOff(
        practitioner=practitioner, starts_at=starts_at, ends_at=ends_at, reason=reason
    )
    time_off.full_clean()
    time_off.save()
    return time_off


@transaction.atomic
def time_off_delete(*, time_off: TimeOff) -> None:
    time_off.delete()


@transaction.atomic
def closure_delete(*, closure: Closure) -> None:
    closure.delete()


@transaction.atomic
def appointment_reschedule_request(*, appointment: Appointment) -> Appointment:
    """The client asked (from an email link) for another time; the front desk calls."""
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    stamp = timezone.now().strftime("%d %b %Y %H:%M UTC")
    appointment.notes = (
        f"{appointment.notes}\n[{stamp}] The client asked to change the time."
    ).strip()
    appointment.save(update_fields=["notes", "updated_at"])
    return appointment


@transaction.atomic
def practitioner_feed_renew(*, practitioner: Practitioner) -> str:
    """A new private feed link for the practitioner; any earlier link stops working.
    Returns the token, which is kept only as a digest: show it now or never."""
    token = feeds.new_token()
    practitioner.feed_digest = feeds.digest(token)
    practitioner.feed_created_at = timezone.now()
    practitioner.save(update_fields=["feed_digest", "feed_created_at"])
    return token


@transaction.atomic
def practitioner_feed_stop(*, practitioner: Practitioner) -> None:
    practitioner.feed_digest = ""
    practitioner.feed_created_at = None
    practitioner.save(update_fields=["feed_digest", "feed_created_at"])


PHOTO_CONSENT_NEEDED = (
    "To send photos, agree to us keeping them in your clinical record."
)
# The answer when the time picked is gone: a visitor sees it beside what they typed.
TIME_GONE = "That time is no longer free: pick another."


@transaction.atomic
def online_booking_book(
    *,
    location: Location,
    service: Service,
    starts_at: datetime,
    practitioner: Practitioner | None,
    first_name: str,
    last_name: str,
    email: str,
    phone: str,
    reminder_consent: bool,
    notes: str = "",
    photos: Sequence[tuple[str, CleanPhoto]] = (),
    photo_consent: bool = False,
    hold_for_deposit: bool = False,
) -> Appointment:
    """A consultation booked by a new client on the public page, through the same
    booking service (and its no-overlap guarantees) as the front desk's.

    hold_for_deposit: the deposit is paid by card next (payments' Stripe Checkout):
    the appointment awaits it, holding its time for DEPOSIT_HOLD_MINUTES.

    `photos` ([(view, re-encoded photo)]) come with the client's consent to keep them
    in their clinical record, signed with their typed name; a booking with photos is
    always a new client record (client_for_online_booking).

    Only a start the page offers is taken (on the step grid, in hours, with notice).
    With no practitioner chosen ("any practitioner", the page's default) the time
    goes to the one free then with the fewest appointments that day, and to the next
    if another booking took theirs in the meantime.
    """
    if not selectors.online_services().filter(pk=service.pk).exists():
        raise BookingError(f"{service} cannot be booked online.")
    if service.meeting == Service.Meeting.PHONE and not phone:
        raise BookingError("A phone consultation needs your phone number.")
    free = selectors.free_practitioners_at(
        service=service,
        location=location,
        starts_at=starts_at,
        practitioner_id=practitioner.pk if practitioner else None,
    )
    if not free:
        raise BookingError(TIME_GONE)
    photo_text = None
    if photos:
        photo_text = client_selectors.consent_texts_current().get(ConsentKind.PHOTOS)
        if photo_text is None:
            raise BookingError("Photos cannot be sent online at the moment.")
        if not photo_consent:
            raise BookingError(PHOTO_CONSENT_NEEDED)
    order = selectors.practitioners_least_booked(
        free, day=starts_at.astimezone(location.zone).date(), zone=location.zone
    )
    client = client_services.client_for_online_booking(
        first_name=first_name,
        last_name=last_name,
        email=email,
        phone=phone,
        reminder_consent=reminder_consent,
        new_record=bool(photos),
    )
    found = Practitioner.objects.in_bulk(order)
    held_until = None
    if hold_for_deposit:
        held_until = timezone.now() + timedelta(minutes=settings.DEPOSIT_HOLD_MINUTES)
    for pk in order:
        try:
            appointment = appointment_book(
                client=client,
                service=service,
                practitioner=found[pk],
                starts_at=starts_at,
                booked_by=None,
                source=Appointment.Source.ONLINE,
                location=location,
                notes=notes,
                held_until=held_until,
            )
        except BookingConflict:
            continue
        if photos:
            client_services.consent_sign(
                client=client,
                text=photo_text,
                typed_name=f"{client.first_name} {client.last_name}",
                by=None,
            )
            hooks.online_booking_photos_sent(appointment=appointment, photos=photos)
        return appointment
    raise BookingError(TIME_GONE)


# The waitlist.


@dataclass(frozen=True)
class FreedTime:
    """The time an appointment held, taken before it is cancelled or moved."""

    appointment_id: int
    client_id: int
    practitioner_id: int
    location: Location
    starts_at: datetime
    ends_at: datetime
    busy_starts_at: datetime

    @classmethod
    def of(cls, appointment: Appointment) -> "FreedTime":
        return cls(
            appointment_id=appointment.pk,
            client_id=appointment.client_id,
            practitioner_id=appointment.practitioner_id,
            location=appointment.location,
            starts_at=appointment.starts_at,
            ends_at=appointment.ends_at,
            busy_starts_at=appointment.busy_starts_at,
        )


@transaction.atomic
def waitlist_entry_add(
    *,
    client: Client,
    service: Service,
    practitioner: Practitioner | None,
    location: Location | None,
    earliest_on,
    latest_on,
    notes: str,
    by,
) -> WaitlistEntry:
    """Put a client on the waitlist. Offers go by email, so the client needs an
    address and consent to reminder emails."""
    if client.erased_at:
        raise BookingError("This client's record was erased: add them again.")
    if not client.email:
        raise BookingError(
            f"{client} has no email address, and waitlist offers go by email: "
            "add one to their record first."
        )
    if not client.reminder_consent:
        raise BookingError(
            f"{client} has not agreed to reminder emails, and waitlist offers go by "
            "email: record their consent on their record first."
        )
    entry = WaitlistEntry(
        client=client,
        service=service,
        practitioner=practitioner,
        location=location,
        earliest_on=earliest_on,
        latest_on=latest_on,
        notes=notes.strip(),
        added_by=by,
    )
    entry.full_clean(exclude=("client", "service", "practitioner", "location"))
    entry.save()
    return entry


@transaction.atomic
def waitlist_entry_remove(*, entry: WaitlistEntry, by) -> WaitlistEntry:
    entry = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.status != WaitlistEntry.Status.WAITING:
        raise BookingError(
            f"This entry is already {entry.get_status_display().lower()}."
        )
    entry.status = WaitlistEntry.Status.REMOVED
    entry.save(update_fields=["status", "updated_at"])
    entry.offers.filter(status=WaitlistOffer.Status.OPEN).update(
        status=WaitlistOffer.Status.WITHDRAWN, answered_at=timezone.now()
    )
    return entry


def _first_start_in(
    freed: FreedTime, service: Service, day, now: datetime
) -> datetime | None:
    """The first free start for `service` inside the freed time, if one fits."""
    found = selectors.availability(
        service=service,
        first_day=day,
        days=1,
        practitioner_id=freed.practitioner_id,
        location_id=freed.location.pk,
        now=now,
    )
    return next(
        (
            slot.start
            for slot in found.slots
            if freed.busy_starts_at <= slot.start < freed.ends_at
        ),
        None,
    )


def waitlist_offers_make(
    *, freed: FreedTime, now: datetime | None = None
) -> list[WaitlistOffer]:
    """Offer a freed time to the clients waiting for it, first added first, at most
    WAITLIST_OFFERS_PER_TIME. Runs inside the cancelling or moving transaction, so
    the offers and their emails commit with the change that freed the time."""
    now = now or timezone.now()
    day = freed.starts_at.astimezone(freed.location.zone).date()
    if freed.starts_at < now + selectors.min_notice():
        return []
    offers = []
    starts: dict[int, datetime | None] = {}
    for entry in selectors.waitlist_entries_matching(freed=freed, day=day):
        if len(offers) == settings.WAITLIST_OFFERS_PER_TIME:
            break
        if entry.service_id not in starts:
            starts[entry.service_id] = _first_start_in(freed, entry.service, day, now)
        start = starts[entry.service_id]
        if start is None:
            continue
        try:
            # A client who could not be booked then (a gate before treatment: no
            # patch test, a deferral, no consent) is not offered a time they could
            # not accept.
            _check_client(entry.client, entry.service, start, freed.location)
        except BookingError:
            continue
        offers.append(
            WaitlistOffer(
                entry=entry,
                freed_id=freed.appointment_id,
                freed_starts_at=freed.starts_at,
                practitioner_id=freed.practitioner_id,
                location=freed.location,
                starts_at=start,
            )
        )
    offers = WaitlistOffer.objects.bulk_create(offers)
    hooks.waitlist_offered(offers=offers, now=now)
    return offers


@dataclass(frozen=True)
class OfferAnswer:
    appointment: Appointment | None
    refusal: str = ""


def _same_time(offer: WaitlistOffer):
    return WaitlistOffer.objects.filter(
        freed_id=offer.freed_id,
        freed_starts_at=offer.freed_starts_at,
        status=WaitlistOffer.Status.OPEN,
    ).exclude(pk=offer.pk)


def _answer(offer: WaitlistOffer, status: str, now: datetime, appointment=None) -> None:
    offer.status = status
    offer.answered_at = now
    offer.appointment = appointment
    offer.full_clean(exclude=("entry", "freed", "practitioner", "location"))
    offer.save(update_fields=["status", "answered_at", "appointment"])


def _gone(offers, now: datetime) -> None:
    gone = list(offers.select_related("entry"))
    WaitlistOffer.objects.filter(pk__in=[o.pk for o in gone]).update(
        status=WaitlistOffer.Status.GONE, answered_at=now
    )
    hooks.waitlist_time_gone(offers=gone, now=now)


@transaction.atomic
def waitlist_offer_accept(*, offer: WaitlistOffer) -> OfferAnswer:
    """The client accepts an offered time (from the email's link). The first to
    accept books it through appointment_book, with its no-overlap guarantees; the
    others offered the same time are told it has gone. A time taken meanwhile (by
    another waiting client, or by the front desk) is refused, not double-booked."""
    now = timezone.now()
    # Every offer of the freed time is locked, in one order, before anything else:
    # two clients accepting at once queue here, and the second then finds its offer
    # gone. (Locking only one's own offer deadlocked on PostgreSQL: each waited for
    # the other's booking while holding the offer the other had to mark gone.)
    group = WaitlistOffer.objects.filter(
        freed_id=offer.freed_id, freed_starts_at=offer.freed_starts_at
    )
    list(group.select_for_update().order_by("pk").values_list("pk", flat=True))
    offer = group.select_related(
        "entry__client", "entry__service", "practitioner__user"
    ).get(pk=offer.pk)
    entry = offer.entry
    if offer.status != WaitlistOffer.Status.OPEN:
        return OfferAnswer(None, _CLOSED[offer.status])
    if entry.status != WaitlistEntry.Status.WAITING:
        return OfferAnswer(None, "You are no longer on the waitlist for this.")
    try:
        with transaction.atomic():
            appointment = appointment_book(
                client=entry.client,
                service=entry.service,
                practitioner=offer.practitioner,
                starts_at=offer.starts_at,
                booked_by=None,
                source=Appointment.Source.WAITLIST,
                location=offer.location,
                notes=entry.notes,
            )
    except BookingConflict:
        _gone(_same_time(offer), now)
        _answer(offer, WaitlistOffer.Status.GONE, now)
        return OfferAnswer(None, _CLOSED[WaitlistOffer.Status.GONE])
    except BookingError as error:
        _answer(offer, WaitlistOffer.Status.WITHDRAWN, now)
        return OfferAnswer(None, error.message)
    _answer(offer, WaitlistOffer.Status.ACCEPTED, now, appointment=appointment)
    entry.status = WaitlistEntry.Status.BOOKED
    entry.appointment = appointment
    entry.save(update_fields=["status", "appointment", "updated_at"])
    entry.offers.filter(status=WaitlistOffer.Status.OPEN).update(
        status=WaitlistOffer.Status.WITHDRAWN, answered_at=now
    )
    _gone(_same_time(offer), now)
    return OfferAnswer(appointment)


_CLOSED = {
    WaitlistOffer.Status.ACCEPTED: "You have accepted this time already: it is "
    "booked, and the confirmation is in your email.",
    WaitlistOffer.Status.GONE: "Sorry: another client took this time first. You "
    "are still on the waitlist, and we will write when another time comes free.",
    WaitlistOffer.Status.WITHDRAWN: "This offer is closed.",
}


@transaction.atomic
def waitlist_offer_decline(*, offer: WaitlistOffer) -> WaitlistOffer:
    """The client does not want this time; they stay on the waitlist."""
    offer = WaitlistOffer.objects.select_for_update().get(pk=offer.pk)
    if offer.status == WaitlistOffer.Status.OPEN:
        _answer(offer, WaitlistOffer.Status.WITHDRAWN, timezone.now())
    return offer
