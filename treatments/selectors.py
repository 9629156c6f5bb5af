import functools
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone

from appointments import selectors as schedule
from appointments import slots
from appointments.models import Appointment, Location
from clients.models import Client, Consent, ConsentKind, PatchTest
from clients.selectors import TimelineEvent, suitability_latest
from core import dates, sql
from core.roles import Capability, can, refuse_erased
from pigments.models import PigmentLot
from treatments.models import (
    Photo,
    PhotoView,
    PlanGoal,
    SessionPigment,
    TreatmentPlan,
    TreatmentSession,
)


def _sessions_prefetch() -> Prefetch:
    return Prefetch(
        "sessions",
        queryset=TreatmentSession.objects.select_related(
            "appointment__location", "appointment__practitioner__user"
        ).prefetch_related("pigments__lot__pigment"),
    )


def plans_for_client(client: Client) -> QuerySet[TreatmentPlan]:
    return (
        TreatmentPlan.objects.filter(client=client)
        .select_related("practitioner__user", "service")
        .prefetch_related(_sessions_prefetch())
    )


def plan_get_for_user(
    user, pk: int, *, capability=Capability.CLINICAL
) -> TreatmentPlan:
    """A plan the user may see: clinical staff for the record, booking staff (with
    `capability=BOOKING`) for booking its course."""
    if not can(user, capability):
        raise Http404("No such plan.")
    plan = get_object_or_404(
        TreatmentPlan.objects.select_related(
            "client", "practitioner__user", "service", "suitability"
        ).prefetch_related(_sessions_prefetch()),
        pk=pk,
    )
    refuse_erased(user, plan.client, "No such plan.")
    return plan


def session_get_for_user(user, pk: int) -> TreatmentSession:
    if not can(user, Capability.CLINICAL):
        raise Http404("No such session.")
    session = get_object_or_404(
        TreatmentSession.objects.select_related(
            "client",
            "plan__practitioner__user",
            "appointment__location",
            "appointment__practitioner__user",
            "recorded_by",
        ),
        pk=pk,
    )
    refuse_erased(user, session.client, "No such session.")
    return session


def treatment_goal(appointment) -> str | None:
    """The goal (PlanGoal) of the work an appointment is for: its course's plan, else
    the client's latest plan (a touch-up); scar camouflage booked as such is "scar"."""
    if appointment.service.kind == "scar_camouflage":
        return PlanGoal.SCAR
    session = TreatmentSession.objects.filter(appointment=appointment).first()
    plans = TreatmentPlan.objects.filter(client_id=appointment.client_id)
    if session is not None and session.plan_id is not None:
        plans = plans.filter(pk=session.plan_id)
    return plans.order_by("-created_at", "-pk").values_list("goal", flat=True).first()


def completes_course(appointment) -> bool:
    """Whether a completed treatment appointment is the last session of its course.
    A session outside any plan (a touch-up, a one-off correction) is a course of one."""
    session = (
        TreatmentSession.objects.filter(appointment=appointment)
        .select_related("plan")
        .first()
    )
    if session is None or session.plan is None:
        return True
    return session.number >= session.plan.sessions_planned


def is_live(session: TreatmentSession) -> bool:
    """Booked and still standing (not cancelled or missed)."""
    return (
        session.appointment is not None
        and session.appointment.status in Appointment.BLOCKING
    )


def session_local_day(session: TreatmentSession) -> date:
    appointment = session.appointment
    return appointment.starts_at.astimezone(appointment.location.zone).date()


def previous_session(session: TreatmentSession) -> TreatmentSession | None:
    if session.plan_id is None:
        return None
    return (
        TreatmentSession.objects.filter(
            plan_id=session.plan_id, number__lt=session.number
        )
        .select_related("appointment__location")
        .prefetch_related("pigments__lot__pigment")
        .order_by("-number")
        .first()
    )


def course_gap_problems(plan: TreatmentPlan) -> list[slots.GapProblem]:
    """The plan's live sessions whose spacing breaks its gap rules."""
    days = [
        (session.number, session_local_day(session))
        for session in plan.sessions.all()
        if is_live(session)
    ]
    return slots.gap_problems(days, plan.gap_min_days, plan.gap_max_days)


def plan_earliest_start(plan: TreatmentPlan) -> date | None:
    """The first day the course may start: after a deferral, and for scar work the
    surgery date plus SCAR_WAIT_MONTHS."""
    earliest = None
    if plan.goal == PlanGoal.SCAR and plan.surgery_on:
        earliest = dates.add_months(plan.surgery_on, settings.SCAR_WAIT_MONTHS)
    decision = suitability_latest(plan.client)
    if decision is not None and decision.defer_until:
        earliest = max(filter(None, (earliest, decision.defer_until)))
    return earliest


@dataclass(frozen=True)
class ProposedSession:
    session: TreatmentSession
    slot: slots.Slot | None
    local_start: datetime | None


@dataclass(frozen=True)
class CourseProposal:
    location: Location
    rows: list[ProposedSession]
    earliest: date | None


def unbooked_sessions(plan: TreatmentPlan) -> list[TreatmentSession]:
    return [session for session in plan.sessions.all() if not is_live(session)]


def course_location(plan: TreatmentPlan) -> Location | None:
    booked = [s for s in plan.sessions.all() if is_live(s)]
    if booked:
        return booked[-1].appointment.location
    return plan.practitioner.locations.filter(is_active=True).first()


def course_proposal(
    *, plan: TreatmentPlan, first_day: date, location: Location, now=None
) -> CourseProposal:
    """A free time for every session not booked yet, with the plan's practitioner,
    each gap inside the plan's limits. Availability is read once for the window."""
    now = now or timezone.now()
    todo = unbooked_sessions(plan)
    earliest = plan_earliest_start(plan)
    first_day = max(filter(None, (first_day, earliest)))
    before = [
        s
        for s in plan.sessions.all()
        if is_live(s) and todo and s.number < todo[0].number
    ]
    previous_day = session_local_day(before[-1]) if before else None
    if previous_day is not None:
        first_day = max(first_day, previous_day)
    days = min(len(todo) * plan.gap_max_days + 28, 180)
    found = schedule.availability(
        service=plan.service,
        first_day=first_day,
        days=days,
        practitioner_id=plan.practitioner_id,
        location_id=location.pk,
        now=now,
    )
    zone = location.zone
    proposal = slots.propose_course(
        free=found.slots,
        zone=zone,
        numbers=[session.number for session in todo],
        gap_min=plan.gap_min_days,
        gap_max=plan.gap_max_days,
        first_day=first_day,
        previous_day=previous_day,
    )
    return CourseProposal(
        location=location,
        rows=[
            ProposedSession(
                session,
                proposal.get(session.number),
                proposal[session.number].start.astimezone(zone)
                if proposal.get(session.number)
                else None,
            )
            for session in todo
        ],
        earliest=earliest,
    )


def lot_recall(lot: PigmentLot) -> QuerySet[SessionPigment]:
    """Every session that used the lot, with its client: one query."""
    return (
        SessionPigment.objects.filter(lot=lot)
        .select_related(
            "session__client",
            "session__plan",
            "session__appointment__location",
            "session__appointment__practitioner__user",
        )
        .order_by("session__appointment__starts_at", "pk")
    )


def lot_recall_patch_tests(lot: PigmentLot) -> QuerySet[PatchTest]:
    """Every patch test that put the lot on a client's skin: one query. A test
    withdrawn as recorded by mistake (the wrong client, never applied) did not."""
    return (
        PatchTest.objects.filter(lots=lot, withdrawn_at__isnull=True)
        .select_related("client", "recorded_by")
        .order_by("applied_at", "pk")
    )


def lot_recall_clients(lot: PigmentLot) -> list[Client]:
    """Each client who received the lot, in a session or a patch test, once."""
    return list(
        Client.objects.filter(
            Q(
                treatment_sessions__pigments__lot=lot,
                treatment_sessions__recorded_at__isnull=False,
            )
            | Q(patch_tests__lots=lot, patch_tests__withdrawn_at__isnull=True)
        )
        .distinct()
        .order_by("last_name", "first_name", "pk")
    )


def lot_get_for_user(user, pk: int) -> PigmentLot:
    if not can(user, Capability.MANAGEMENT):
        raise Http404("No such lot.")
    return get_object_or_404(PigmentLot.objects.select_related("pigment"), pk=pk)


@dataclass(frozen=True)
class InkUse:
    """A lot that went on the client's skin: in a session or a patch test."""

    at: datetime
    what: str
    lot: PigmentLot
    dilution: str = ""


def ink_passport(client: Client) -> list[InkUse]:
    """Every pigment lot used on the client, in sessions and patch tests, oldest
    first: two queries."""
    uses = [
        InkUse(
            use.session.appointment.starts_at
            if use.session.appointment
            else use.session.recorded_at,
            "Session",
            use.lot,
            use.dilution,
        )
        for use in SessionPigment.objects.filter(
            session__client=client, session__recorded_at__isnull=False
        ).select_related("lot__pigment", "session__appointment")
    ]
    tested = PatchTest.lots.through.objects.filter(
        patchtest__client=client, patchtest__withdrawn_at__isnull=True
    )
    uses += [
        InkUse(row.patchtest.applied_at, "Patch test", row.pigmentlot)
        for row in tested.select_related("patchtest", "pigmentlot__pigment")
    ]
    return sorted(uses, key=lambda use: (use.at, use.what != "Patch test"))


def has_photo_consent(client: Client) -> bool:
    return Consent.objects.filter(
        client=client, text__kind=ConsentKind.PHOTOS, withdrawn_at__isnull=True
    ).exists()


def has_marketing_photo_consent(client: Client) -> bool:
    """May the client's photos be used in marketing or the portfolio? Only with
    this second, separate consent standing; it says nothing about the record."""
    return Consent.objects.filter(
        client=client,
        text__kind=ConsentKind.PHOTOS_MARKETING,
        withdrawn_at__isnull=True,
    ).exists()


@dataclass(frozen=True)
class PhotoPair:
    """The first and the latest photo of one view: before and after, like with
    like."""

    view: str
    first: Photo
    latest: Photo


def photo_pairs(photos: list[Photo]) -> list[PhotoPair]:
    """One pair per standard view that has photos, in the views' order (photos taken
    before views were recorded, last). `photos` are oldest first."""
    by_view: dict[str, list[Photo]] = {}
    for photo in photos:
        by_view.setdefault(photo.view, []).append(photo)
    order = [*PhotoView.values, ""]
    return [
        PhotoPair(
            dict(PhotoView.choices).get(view, "View not recorded"),
            by_view[view][0],
            by_view[view][-1],
        )
        for view in order
        if view in by_view
    ]


def photos_for_client(client: Client) -> QuerySet[Photo]:
    return Photo.objects.filter(client=client).select_related("session")


def photo_get_for_user(user, pk: int) -> Photo:
    """A photo the user may see: clinical staff, while the client consents."""
    if not can(user, Capability.CLINICAL):
        raise Http404("No such photo.")
    photo = get_object_or_404(Photo.objects.select_related("client"), pk=pk)
    refuse_erased(user, photo.client, "No such photo.")
    if not has_photo_consent(photo.client):
        raise Http404("No such photo.")
    return photo


def session_outside_course(appointment: Appointment) -> TreatmentSession | None:
    """The session record of an appointment outside any course, when opened."""
    return TreatmentSession.objects.filter(
        appointment=appointment, plan__isnull=True
    ).first()


@dataclass(frozen=True)
class CourseContext:
    session: TreatmentSession
    gap_problems: list[slots.GapProblem]


def course_context(appointment: Appointment) -> CourseContext | None:
    """For a course session's appointment: which session it is, and which sessions
    of its course break the gap rules now (after a move, the ones to move too)."""
    session = (
        TreatmentSession.objects.filter(appointment=appointment)
        .select_related("plan")
        .first()
    )
    if session is None or session.plan_id is None:
        return None
    plan = TreatmentPlan.objects.prefetch_related(_sessions_prefetch()).get(
        pk=session.plan_id
    )
    return CourseContext(session, course_gap_problems(plan))


def client_timeline_events(user, client) -> list[TimelineEvent]:
    """Session records and photos on the client's timeline, for clinical roles (a
    source of clients.selectors)."""
    if not can(user, Capability.CLINICAL):
        return []
    events = [
        TimelineEvent(
            s.recorded_at,
            "Treatment session",
            f"{s} recorded: {s.plan or s.appointment.service}",
            ", ".join(f"{zone} ({density.lower()})" for zone, density in s.zone_list()),
            reverse("session_record", args=[s.pk]),
        )
        for s in TreatmentSession.objects.filter(
            client=client, recorded_at__isnull=False
        ).select_related("plan", "appointment__service")
    ]
    events += [
        TimelineEvent(
            p.taken_at,
            "Photo",
            f"{p.get_kind_display()} photo",
            p.caption,
            reverse("photos", args=[client.pk]) + f"?b={p.pk}",
        )
        for p in client.photos.all()
    ]
    return events


def client_list_courses(client_ids: list[int]) -> dict[int, dict[str, object]]:
    """Whether each client's course is under way or done, for the client list's
    stage (clients.selectors.client_list_facts_register), in one query."""
    Status = TreatmentPlan.Status
    fact = {Status.ACTIVE: "course_active", Status.COMPLETED: "course_completed"}
    facts = {pk: dict.fromkeys(fact.values(), False) for pk in client_ids}
    for pk, status in sql.fetch(
        _client_courses_sql(len(client_ids), len(fact)),
        [*client_ids, *fact],
        [None, None],
    ):
        facts[pk][fact[status]] = True
    return facts


@functools.lru_cache(maxsize=64)
def _client_courses_sql(count: int, statuses: int) -> str:
    """client_list_courses()'s query in SQL: the ORM took about half a millisecond of
    Python to build and compile it, for a tenth of that in the database (core.sql)."""
    # Table names and placeholders only: every value is a parameter.
    return f"""
        SELECT DISTINCT client_id, status FROM {sql.table(TreatmentPlan)}
        WHERE client_id IN ({sql.placeholders(range(count))})
        AND status IN ({sql.placeholders(range(statuses))})"""  # noqa: S608
