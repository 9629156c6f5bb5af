"""Every write to treatment plans, courses, session records and photos."""

import uuid
from datetime import date, datetime
from itertools import pairwise

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from appointments import slots
from appointments.models import Appointment, Location, Practitioner, Service
from appointments.services import (
    BookingError,
    appointment_book,
    appointment_complete,
    treatment_gate_check,
)
from clients.models import Client
from clients.photos import CleanPhoto, clean_photo
from clients.selectors import intake_for, patch_test_uncovered, suitability_latest
from pigments.models import LotStatus, PigmentLot
from treatments import hooks, rules, selectors
from treatments.models import (
    Density,
    Healing,
    Photo,
    PhotoKind,
    PlanGoal,
    PlanStatus,
    PriceBasis,
    SessionNeedle,
    SessionPigment,
    TreatmentPlan,
    TreatmentSession,
    Zone,
)


@transaction.atomic
def plan_create(
    *,
    client: Client,
    practitioner: Practitioner,
    service: Service,
    variant: str,
    goal: str,
    created_by,
    sessions_planned: int = 3,
    gap_min_days: int = 10,
    gap_max_days: int = 14,
    hairline_style: str = "",
    recession: str = "",
    design_notes: str = "",
    surgery_on: date | None = None,
    price_basis: str = PriceBasis.COURSE,
    price_minor: int = 0,
    currency: str = "",
) -> TreatmentPlan:
    decision = suitability_latest(client)
    if not currency:
        location = practitioner.locations.order_by("pk").first()
        currency = location.currency if location else "GBP"
    if refusal := rules.plan_refusal(decision):
        raise ValidationError(refusal)
    if goal == PlanGoal.SCAR and surgery_on is None:
        intake = intake_for(client)
        surgery_on = intake.transplant_on if intake else None
    plan = TreatmentPlan(
        client=client,
        practitioner=practitioner,
        service=service,
        variant=variant,
        goal=goal,
        sessions_planned=sessions_planned,
        gap_min_days=gap_min_days,
        gap_max_days=gap_max_days,
        hairline_style=hairline_style,
        recession=recession,
        design_notes=design_notes,
        surgery_on=surgery_on,
        price_basis=price_basis,
        price_minor=price_minor,
        currency=currency,
        suitability=decision,
        created_by=created_by,
    )
    plan.full_clean()
    plan.save()
    TreatmentSession.objects.bulk_create(
        TreatmentSession(client=plan.client, plan=plan, number=number)
        for number in range(1, plan.sessions_planned + 1)
    )
    return plan


@transaction.atomic
def plan_update(*, plan: TreatmentPlan, fields: dict) -> TreatmentPlan:
    """Change a plan's design and spacing; the number of sessions may grow, or shrink
    by sessions not booked yet."""
    plan = TreatmentPlan.objects.select_for_update().get(pk=plan.pk)
    for name, value in fields.items():
        setattr(plan, name, value)
    plan.full_clean()
    sessions = list(plan.sessions.select_related("appointment"))
    keep = max(
        (s.number for s in sessions if s.is_recorded or selectors.is_live(s)),
        default=0,
    )
    if plan.sessions_planned < keep:
        raise ValidationError(
            f"Session {keep} is booked or recorded: the plan needs at least {keep}."
        )
    plan.save()
    plan.sessions.filter(number__gt=plan.sessions_planned).delete()
    have = {s.number for s in sessions}
    TreatmentSession.objects.bulk_create(
        TreatmentSession(client_id=plan.client_id, plan=plan, number=number)
        for number in range(1, plan.sessions_planned + 1)
        if number not in have
    )
    return plan


@transaction.atomic
def plan_design_sign_off(*, plan: TreatmentPlan, typed_name: str) -> TreatmentPlan:
    """The client agrees to the hairline design by typing their name."""
    typed_name = typed_name.strip()
    if not typed_name:
        raise ValidationError("The client types their name to agree to the design.")
    if not (plan.hairline_style and plan.recession):
        raise ValidationError("Choose the hairline style and recession first.")
    plan.design_signed_name = typed_name[:200]
    plan.design_signed_at = timezone.now()
    plan.full_clean()
    plan.save(update_fields=["design_signed_name", "design_signed_at"])
    return plan


@transaction.atomic
def plan_cancel(*, plan: TreatmentPlan) -> TreatmentPlan:
    plan = TreatmentPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.status != PlanStatus.ACTIVE:
        raise ValidationError("Only an active plan can be cancelled.")
    plan.status = PlanStatus.CANCELLED
    plan.save(update_fields=["status"])
    hooks.plan_cancelled(plan=plan)
    return plan


class CourseError(ValidationError):
    """A course that cannot be booked as asked; nothing was booked."""


@transaction.atomic
def course_book(
    *,
    plan: TreatmentPlan,
    starts: dict[int, datetime],
    location: Location,
    booked_by,
) -> list[Appointment]:
    """Book the given sessions (number -> start) all at once, or none of them.

    The starts are checked against the plan's gap rules together with the sessions
    already booked; then each is booked through the booking service, whose checks and
    constraints hold. Any refusal rolls every one of them back.
    """
    plan = TreatmentPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.status != PlanStatus.ACTIVE:
        raise CourseError(f"The plan is {plan.get_status_display().lower()}.")
    sessions = {
        s.number: s
        for s in plan.sessions.select_related("appointment__location").order_by(
            "number"
        )
    }
    if not starts:
        raise CourseError("Choose a time for at least one session.")
    for number in starts:
        session = sessions.get(number)
        if session is None or selectors.is_live(session):
            raise CourseError(f"Session {number} is not waiting to be booked.")
    zone = location.zone
    days = [
        (number, selectors.session_local_day(s))
        for number, s in sessions.items()
        if selectors.is_live(s)
    ] + [(number, at.astimezone(zone).date()) for number, at in starts.items()]
    ordered = sorted(days)
    for (_, day), (number, later) in pairwise(ordered):
        if later <= day:
            raise CourseError(f"Session {number} must come after the one before it.")
    problems = slots.gap_problems(days, plan.gap_min_days, plan.gap_max_days)
    if problems:
        raise CourseError([str(problem) for problem in problems])
    earliest = selectors.plan_earliest_start(plan)
    first = min(starts.values()).astimezone(zone).date()
    if earliest and first < earliest:
        raise CourseError(f"This course cannot start before {earliest:%d %b %Y}.")

    booked = []
    for number in sorted(starts):
        try:
            appointment = appointment_book(
                client=plan.client,
                service=plan.service,
                practitioner=plan.practitioner,
                starts_at=starts[number],
                location=location,
                booked_by=booked_by,
                notes=f"Session {number} of {plan.sessions_planned}: {plan}",
                confirm=False,
            )
        except BookingError as error:
            refused = CourseError(
                f"Session {number}: {error.message} Nothing was booked."
            )
            refused.missing = getattr(error, "missing", [])
            raise refused from error
        session = sessions[number]
        session.appointment = appointment
        session.save(update_fields=["appointment"])
        booked.append(appointment)
    hooks.course_booked(plan=plan, appointments=booked)
    return booked


def plan_session_completed(*, appointment: Appointment, now=None) -> None:
    """After a course session is completed: the whole course completes the plan and
    writes its recalls; otherwise an unbooked next session gets a nudge. A touch-up
    outside a course writes the next recalls, plan or no plan."""
    session = (
        TreatmentSession.objects.filter(appointment=appointment)
        .select_related("plan")
        .first()
    )
    now = now or timezone.now()
    if session is None or session.plan_id is None:
        # A touch-up outside a course, its session record opened or not.
        if appointment.service.kind == Service.Kind.TOUCH_UP:
            latest = (
                TreatmentPlan.objects.filter(client_id=appointment.client_id)
                .exclude(status=PlanStatus.CANCELLED)
                .order_by("-created_at", "-pk")
                .first()
            )
            hooks.touch_up_completed(appointment=appointment, plan=latest, now=now)
        return
    plan = TreatmentPlan.objects.select_for_update().get(pk=session.plan_id)
    sessions = list(plan.sessions.select_related("appointment"))
    if all(
        s.appointment is not None
        and s.appointment.status == Appointment.Status.COMPLETED
        for s in sessions
    ):
        plan.status = PlanStatus.COMPLETED
        plan.completed_at = now
        plan.save(update_fields=["status", "completed_at"])
        hooks.plan_completed(plan=plan, location=appointment.location, now=now)
        return
    following = [s for s in sessions if s.number > session.number]
    if following and not selectors.is_live(following[0]):
        hooks.course_next_session_unbooked(
            plan=plan, after=session, location=appointment.location, now=now
        )


def _clean_zones(zones: dict[str, str]) -> dict[str, str]:
    chosen = {zone: density for zone, density in zones.items() if density}
    unknown = set(chosen) - set(Zone.values)
    if unknown:
        raise ValidationError(f"Unknown zone: {', '.join(sorted(unknown))}.")
    if any(density not in Density.values for density in chosen.values()):
        raise ValidationError("A zone's density is light, medium or dense.")
    if not chosen:
        raise ValidationError("Mark at least one zone treated, with its density.")
    return {zone: chosen[zone] for zone in Zone.values if zone in chosen}


def _check_lots_for_session(session: TreatmentSession, lots: list[PigmentLot]) -> None:
    """Refuse lots that may not go on skin on the session's day, and pigments no
    patch test covers when the service needs one. A lot already recorded on the
    session stays (a recall after the session must not block correcting its notes)."""
    day = selectors.session_local_day(session)
    recorded = set(session.pigments.values_list("lot_id", flat=True))
    refused = [
        f"{lot} ({reason})"
        for lot in lots
        if lot.pk not in recorded and (reason := lot.unusable_reason(day))
    ]
    if refused:
        raise ValidationError(
            "This pigment lot cannot be used: "
            + "; ".join(refused)
            + ". Choose a lot in date, within its shelf life and not recalled."
        )
    appointment = session.appointment
    if appointment.service.needs_patch_test:
        untested = patch_test_uncovered(
            session.client, [lot.pigment for lot in lots], appointment.starts_at
        )
        if untested:
            names = ", ".join(str(pigment) for pigment in untested)
            raise ValidationError(
                f"No passed or waived patch test in the "
                f"{settings.PATCH_TEST_VALID_DAYS} days before this session covers "
                f"{names}: patch test {'it' if len(untested) == 1 else 'them'} first "
                "(or the client signs a waiver)."
            )


# Appointments that can put pigment on skin outside a course: a touch-up, the
# refresh after a fade check, a one-off correction in a treatment slot.
OPEN_SESSION_KINDS = {
    Service.Kind.SMP_SESSION,
    Service.Kind.SCAR_CAMOUFLAGE,
    Service.Kind.TOUCH_UP,
    Service.Kind.FADE_CHECK,
}


@transaction.atomic
def session_open(*, appointment: Appointment) -> TreatmentSession:
    """The session record of an appointment outside any course (a touch-up, a
    fade-check refresh, a correction): recorded like a course session, lots,
    dilution, needles, zones, practitioner and licence. Opening it twice gives the
    same record."""
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    existing = TreatmentSession.objects.filter(appointment=appointment).first()
    if existing is not None:
        return existing
    if appointment.service.kind not in OPEN_SESSION_KINDS:
        raise ValidationError(
            f"A {appointment.service} puts no pigment on skin: nothing to record."
        )
    if refusal := rules.session_record_refusal(appointment):
        raise ValidationError(refusal)
    session = TreatmentSession(
        client_id=appointment.client_id, appointment=appointment, number=1
    )
    session.full_clean()
    session.save()
    return session


def _needles_replace(
    session: TreatmentSession, needles: list[tuple[str, str, list[str]]]
) -> None:
    """The session's further needles become `needles`; unchanged, nothing is
    written."""
    rows = []
    for needle, cartridge_lot, zones in needles:
        unknown = set(zones) - set(Zone.values)
        if unknown:
            raise ValidationError(f"Unknown zone: {', '.join(sorted(unknown))}.")
        rows.append(
            (
                needle.strip().upper(),
                cartridge_lot.strip(),
                [zone for zone in Zone.values if zone in zones],
            )
        )
    have = [(n.needle, n.cartridge_lot, n.zones) for n in session.needles.all()]
    if have == rows:
        return
    session.needles.all().delete()
    for needle, cartridge_lot, zones in rows:
        row = SessionNeedle(
            session=session, needle=needle, cartridge_lot=cartridge_lot, zones=zones
        )
        row.full_clean(exclude=["session"])
        row.save()


@transaction.atomic
def session_record(
    *,
    session: TreatmentSession,
    zones: dict[str, str],
    pigments: list[tuple[PigmentLot, str]],
    by,
    needle: str = "",
    cartridge_lot: str = "",
    depth_note: str = "",
    anaesthetic: str = "",
    skin_reaction: str = "",
    notes: str = "",
    duration_minutes: int | None = None,
    complete_appointment: bool = False,
    needles: list[tuple[str, str, list[str]]] | None = None,
) -> TreatmentSession:
    """Record what was done in a session, or edit the record. Every lot must be in
    date on the day. `complete_appointment` completes a checked-in appointment in the
    same transaction (its aftercare starts), when it may be completed."""
    session = TreatmentSession.objects.select_for_update().get(pk=session.pk)
    appointment = session.appointment
    if refusal := rules.session_record_refusal(appointment):
        raise ValidationError(refusal)
    if not session.is_recorded:
        # The gates before treatment hold on the session's day as they did at
        # booking: a consent withdrawn or a decision changed since stops the first
        # record (correcting a record already made is not a new treatment).
        treatment_gate_check(
            appointment.client,
            appointment.service,
            appointment.starts_at,
            location=appointment.location,
            plan=session.plan,
            # The patch test is checked below per pigment used, which is finer than
            # the booking's "a test covers this client".
            skip=frozenset({"patch_test"}),
        )
    previous = selectors.previous_session(session)
    if previous is not None and previous.is_recorded and not previous.healing:
        raise ValidationError(
            f"Record whether session {previous.number} has healed before this one."
        )
    if not pigments:
        raise ValidationError("Record the pigment lot(s) used.")
    lots = [lot.pk for lot, _ in pigments]
    if len(set(lots)) != len(lots):
        raise ValidationError("Each lot once, please.")
    _check_lots_for_session(session, [lot for lot, _ in pigments])
    session.zones = _clean_zones(zones)
    if needles is not None:
        _needles_replace(session, needles)
    session.needle = needle.strip().upper()
    session.cartridge_lot = cartridge_lot.strip()
    session.depth_note = depth_note.strip()
    session.anaesthetic = anaesthetic.strip()
    session.skin_reaction = skin_reaction.strip()
    session.notes = notes.strip()
    session.duration_minutes = duration_minutes
    if not session.is_recorded:
        # The recorder and their licence are the record's author: a later edit by
        # anyone else is in the audit trail under the editor, and changes neither.
        session.licence_number = appointment.practitioner.licence_number
        session.recorded_by = by
        session.recorded_at = timezone.now()
    session.full_clean()
    session.save()
    _session_pigments_set(session, pigments)
    if complete_appointment and appointment.status == Appointment.Status.CHECKED_IN:
        try:
            appointment_complete(appointment=appointment, by=by)
        except BookingError as error:
            raise ValidationError(error.message) from error
    return session


def _session_pigments_set(
    session: TreatmentSession, pigments: list[tuple[PigmentLot, str]]
) -> None:
    """Change only the lots that changed: an unchanged save writes nothing (and puts
    nothing in the audit trail)."""
    wanted = {lot.pk: dilution.strip() for lot, dilution in pigments}
    for use in session.pigments.all():
        if use.lot_id not in wanted:
            use.delete()
            continue
        dilution = wanted.pop(use.lot_id)
        if use.dilution != dilution:
            use.dilution = dilution
            use.full_clean()
            use.save(update_fields=["dilution"])
    SessionPigment.objects.bulk_create(
        SessionPigment(session=session, lot_id=lot_id, dilution=dilution)
        for lot_id, dilution in wanted.items()
    )


@transaction.atomic
def session_healing_record(
    *, session: TreatmentSession, healing: str, note: str, by
) -> TreatmentSession:
    """The practitioner's check, before the next session, that this one has healed."""
    session = TreatmentSession.objects.select_for_update().get(pk=session.pk)
    if not session.is_recorded:
        raise ValidationError("Record the session before checking its healing.")
    if healing not in Healing.values:
        raise ValidationError("Choose healed or not healed.")
    session.healing = healing
    session.healing_note = note.strip()
    session.healing_checked_by = by
    session.healing_checked_at = timezone.now()
    session.full_clean()
    session.save()
    return session


@transaction.atomic
def photo_add(
    *,
    client: Client,
    data: bytes,
    kind: str,
    by,
    view: str = "",
    taken_at: datetime | None = None,
    plan: TreatmentPlan | None = None,
    session: TreatmentSession | None = None,
    caption: str = "",
) -> Photo:
    if not selectors.has_photo_consent(client):
        raise ValidationError(
            f"{client} has not consented to photographs: sign the photo consent first."
        )
    if session is not None and session.client_id != client.pk:
        raise ValidationError("That session belongs to another client.")
    if plan is not None and plan.client_id != client.pk:
        raise ValidationError("That plan belongs to another client.")
    return _photo_save(
        Photo(
            client=client,
            plan=plan or (session.plan if session else None),
            session=session,
            kind=kind,
            view=view,
            caption=caption.strip(),
            taken_at=taken_at or timezone.now(),
            uploaded_by=by,
        ),
        clean_photo(data),
    )


def _photo_save(photo: Photo, clean: CleanPhoto) -> Photo:
    name = uuid.uuid4().hex
    photo.width, photo.height = clean.width, clean.height
    photo.full_clean(exclude=["image", "thumbnail"])
    photo.image.save(f"{name}.jpg", ContentFile(clean.image), save=False)
    photo.thumbnail.save(f"{name}-thumb.jpg", ContentFile(clean.thumbnail), save=False)
    photo.save()
    return photo


def photos_from_online_booking(
    *, appointment, photos: list[tuple[str, CleanPhoto]]
) -> list[Photo]:
    """The scalp photos a new client sent with their consultation request (already
    re-encoded without EXIF), filed as "before" photos by view for the quote. The
    booking service recorded their photo consent first."""
    client = appointment.client
    if not selectors.has_photo_consent(client):
        raise ValidationError(f"{client} has not consented to photographs.")
    return [
        _photo_save(
            Photo(
                client=client,
                kind=PhotoKind.BEFORE,
                view=view,
                caption="Sent by the client with their online booking.",
                taken_at=appointment.created_at,
                uploaded_by=None,
            ),
            clean,
        )
        for view, clean in photos
    ]


@transaction.atomic
def lot_status_set(*, lot: PigmentLot, status: str, reason: str, by) -> PigmentLot:
    """Quarantine or recall a lot (or put a quarantined one back in use): refused for
    sessions and patch tests from now on. A recalled lot stays recalled."""
    lot = PigmentLot.objects.select_for_update().get(pk=lot.pk)
    if status not in LotStatus.values:
        raise ValidationError("Choose in use, quarantined or recalled.")
    if lot.status == LotStatus.RECALLED and status != LotStatus.RECALLED:
        raise ValidationError("A recalled lot cannot be used again.")
    reason = reason.strip()
    if status != LotStatus.IN_USE and not reason:
        raise ValidationError("Say why the lot is quarantined or recalled.")
    lot.status = status
    lot.status_reason = reason[:300]
    lot.status_changed_at = timezone.now()
    lot.status_changed_by = by
    lot.full_clean()
    lot.save()
    return lot


@transaction.atomic
def lot_recall_notify(*, lot: PigmentLot) -> int:
    """One recall notice by email to every client who received the lot (in a session
    or a patch test), through the outbox. Only for a quarantined or recalled lot;
    sending again writes nothing twice. Returns how many notices were written."""
    lot = PigmentLot.objects.select_for_update().get(pk=lot.pk)
    if lot.status == LotStatus.IN_USE:
        raise ValidationError("Quarantine or recall the lot before telling clients.")
    return sum(
        hooks.lot_recall_requested(lot=lot, clients=selectors.lot_recall_clients(lot))
    )


@transaction.atomic
def ink_passport_send(*, client: Client):
    """Send the client their ink passport (the outbox writes it); the message."""
    if not client.email:
        raise ValidationError(f"{client} has no email address.")
    sent = hooks.ink_passport_requested(client=client)
    return sent[0] if sent else None
