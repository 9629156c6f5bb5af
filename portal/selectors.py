"""The portal's reads: every one takes the signed-in client and returns only their
rows, so an id typed into a URL can name nothing of anyone else's (404)."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from appointments.models import Appointment, AppointmentStatus
from clients import selectors as client_selectors
from clients.hooks import ClientMessage, messages_of
from clients.intake_answers import answers_from_json
from clients.models import (
    INTAKE_SECTION_FIELDS,
    Client,
    Consent,
    ConsentKind,
    Intake,
)
from treatments import selectors as treatment_selectors
from treatments.models import PlanStatus, TreatmentPlan, TreatmentSession

# Consents a client may withdraw themselves, here: what they let the clinic do with
# their photos and their address. Withdrawing the treatment consent, or a patch
# test waiver, is a conversation with the practitioner (it stops treatment).
SELF_WITHDRAWABLE = frozenset(
    {ConsentKind.PHOTOS, ConsentKind.PHOTOS_MARKETING, ConsentKind.COMMUNICATIONS}
)

INTAKE_FIELDS = [name for fields in INTAKE_SECTION_FIELDS.values() for name in fields]


def appointments_for(client: Client) -> QuerySet[Appointment]:
    return Appointment.objects.filter(client=client).select_related(
        "service", "location", "practitioner__user"
    )


def upcoming_appointments(client: Client) -> list[Appointment]:
    return list(
        appointments_for(client)
        .filter(
            starts_at__gte=timezone.now(),
            status__in=[AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED],
        )
        .order_by("starts_at")
    )


def appointment_get(client: Client, pk: int) -> Appointment:
    appointment = appointments_for(client).filter(pk=pk).first()
    if appointment is None:
        raise Http404("No such appointment.")
    return appointment


def past_appointments(client: Client, *, limit: int = 50) -> list[Appointment]:
    """Appointments that have happened, were missed or cancelled, newest first."""
    return list(
        appointments_for(client)
        .filter(Q(starts_at__lt=timezone.now()) | Q(status=AppointmentStatus.CANCELLED))
        .order_by("-starts_at")[:limit]
    )


@dataclass(frozen=True)
class PlanSummary:
    plan: TreatmentPlan
    sessions: list[TreatmentSession]
    done: int
    next_booked: Appointment | None
    # When the next session is due, where none is booked (the course's gaps).
    due_from: date | None
    due_until: date | None


def plan_summaries(client: Client) -> list[PlanSummary]:
    plans = treatment_selectors.plans_for_client(client).exclude(
        status=PlanStatus.CANCELLED
    )
    return [_summary(plan) for plan in plans]


def _summary(plan: TreatmentPlan) -> PlanSummary:
    sessions = list(plan.sessions.all())
    done = [s for s in sessions if s.is_recorded and s.appointment is not None]
    now = timezone.now()
    booked = [
        s.appointment
        for s in sessions
        if treatment_selectors.is_live(s)
        and not s.is_recorded
        and s.appointment.starts_at >= now
    ]
    next_booked = min(booked, key=lambda a: a.starts_at) if booked else None
    due_from = due_until = None
    unbooked = treatment_selectors.unbooked_sessions(plan)
    if plan.status == PlanStatus.ACTIVE and next_booked is None and unbooked:
        if done:
            last = max(treatment_selectors.session_local_day(s) for s in done)
            due_from = last + timedelta(days=plan.gap_min_days)
            due_until = last + timedelta(days=plan.gap_max_days)
        else:
            due_from = treatment_selectors.plan_earliest_start(plan)
    return PlanSummary(plan, sessions, len(done), next_booked, due_from, due_until)


def current_session(client: Client) -> TreatmentSession | None:
    """The client's latest treatment session that has been done."""
    return (
        TreatmentSession.objects.filter(
            client=client,
            appointment__status=AppointmentStatus.COMPLETED,
        )
        .select_related("appointment__service", "appointment__location", "plan")
        .order_by("-appointment__starts_at")
        .first()
    )


def messages(client: Client) -> list[ClientMessage]:
    return messages_of(client)


def sent_messages(client: Client) -> list[ClientMessage]:
    return [m for m in messages(client) if m.sent_at is not None]


def message_get(client: Client, pk: int) -> ClientMessage:
    found = messages_of(client, pk)
    if not found:
        raise Http404("No such message.")
    return found[0]


def aftercare(client: Client, session: TreatmentSession | None) -> list[ClientMessage]:
    """The aftercare of the client's current session, sent and still to come, in
    the order it goes; the sent ones with their text."""
    if session is None:
        return []
    steps = [
        m
        for m in messages(client)
        if m.is_aftercare and m.appointment_id == session.appointment_id
    ]
    return [
        message_get(client, m.pk) if m.sent_at is not None else m
        for m in sorted(steps, key=lambda m: (m.due_at, m.pk))
    ]


def consents(client: Client) -> list[Consent]:
    return list(Consent.objects.filter(client=client).select_related("text"))


def consent_get(client: Client, pk: int) -> Consent:
    consent = (
        Consent.objects.filter(client=client, pk=pk)
        .select_related("text", "client", "witnessed_by")
        .first()
    )
    if consent is None:
        raise Http404("No such consent.")
    return consent


def ink_passport(client: Client):
    return treatment_selectors.ink_passport(client)


def consents_to_sign(client: Client) -> list:
    """The consents whose current wording the client has not signed (a new version
    asks again); the patch test waiver is the practitioner's to offer."""
    return [s for s in client_selectors.consent_statuses(client) if s.needs_signature]


def consent_status(client: Client, kind: str):
    for status in client_selectors.consent_statuses(client):
        if status.kind == kind and status.text is not None:
            return status
    raise Http404("No such form.")


@dataclass(frozen=True)
class IntakeStatus:
    """Where the client's health questions stand: "" (on file and complete),
    "to review" (sent, the clinic checks them) or "to fill in"; when the pending
    answers were sent."""

    state: str
    sent_at: object = None


def intake_status(client: Client) -> IntakeStatus:
    state = client_selectors.intake_forms_state([client.pk])[client.pk]
    pending = client_selectors.intake_entries_pending(client)
    return IntakeStatus(
        state="to review" if pending else state,
        sent_at=max((entry.entered_at for entry in pending), default=None),
    )


def intake_form_instance(client: Client) -> Intake:
    """The intake as the client's form opens: the answers on file, with what the
    client entered and nobody reviewed yet over them (an unsaved copy: the form
    never writes the intake)."""
    on_file = client_selectors.intake_for(client)
    intake = Intake(client=client)
    if on_file is not None:
        for name in INTAKE_FIELDS:
            setattr(intake, name, getattr(on_file, name))
    for entry in client_selectors.intake_entries_pending(client):
        for name, value in answers_from_json(entry.answers).items():
            setattr(intake, name, value)
    return intake
