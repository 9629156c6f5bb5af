"""The outbox: writing client messages with the change that causes them, and the sweep
that sends what is due.

Writing: `appointment_messages_schedule` runs inside the booking services' transactions,
so a booking and its messages commit together or not at all. Each message has a dedupe
key that names its appointment, kind and the start it was written for: writing it twice
is a no-op, and a moved appointment gets new keys while its old messages are cancelled.

Sending: `messages_send_due` is the one code path of the periodic task and of
`manage.py send_due_messages`. It claims due rows with a conditional update (and
`SKIP LOCKED` on PostgreSQL), so two sweeps never hold the same row; re-checks that each
message still applies; sends through Django's email backend; records the result. A
failure is retried with a doubling delay, then marked failed for staff to see. A sweep
that dies mid-run leaves claimed rows that are due again after
MESSAGE_CLAIM_TIMEOUT_SECONDS: at least once, never lost. (Only a crash between the
SMTP server's acceptance and our commit can send one twice.)
"""

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, time, timedelta

import icalendar
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from appointments import slots
from clients import links
from clients.models import AftercareStep, MessageKind, MessageStatus, OutboundMessage
from treatments import selectors as treatment_selectors

logger = logging.getLogger(__name__)

# Service kinds that put pigment in the skin get a preparation note.
PREPARED_KINDS = {"smp_session", "scar_camouflage", "touch_up"}


def _key(appointment, kind: str, extra: str = "") -> str:
    start = appointment.starts_at.strftime("%Y%m%dT%H%MZ")
    return f"appointment:{appointment.pk}:{kind}{extra}:{start}"


def appointment_messages_schedule(*, appointment, now: datetime | None = None) -> None:
    """Write a booked appointment's confirmation, preparation note and reminders."""
    now = now or timezone.now()
    starts_at = appointment.starts_at
    wanted = [(MessageKind.CONFIRMATION, now, "")]
    if appointment.service.kind in PREPARED_KINDS:
        due = starts_at - timedelta(hours=settings.MESSAGE_PREPARATION_HOURS)
        wanted.append((MessageKind.PREPARATION, due, ""))
    for hours in settings.MESSAGE_REMINDER_HOURS:
        due = starts_at - timedelta(hours=hours)
        wanted.append((MessageKind.REMINDER, due, f"-{hours}h"))
    OutboundMessage.objects.bulk_create(
        [
            OutboundMessage(
                client_id=appointment.client_id,
                appointment=appointment,
                kind=kind,
                for_starts_at=starts_at,
                due_at=max(due, now),
                dedupe_key=_key(appointment, kind, extra),
            )
            for kind, due, extra in wanted
            # A reminder whose moment has passed (a booking made tomorrow) is skipped.
            if kind == MessageKind.CONFIRMATION or due > now
        ],
        ignore_conflicts=True,
    )


# Aftercare emails after day 0 go at this wall-clock time in the location's zone.
AFTERCARE_SEND_AT = time(10)


def appointment_aftercare_schedule(*, appointment, now: datetime | None = None) -> None:
    """Write the clinic's aftercare sequence for a completed treatment session."""
    if appointment.service.kind not in PREPARED_KINDS:
        return
    now = now or timezone.now()
    zone = appointment.location.zone
    today = now.astimezone(zone).date()
    OutboundMessage.objects.bulk_create(
        [
            OutboundMessage(
                client_id=appointment.client_id,
                appointment=appointment,
                kind=MessageKind.AFTERCARE,
                aftercare_step=step,
                due_at=now
                if step.day_offset == 0
                else slots.wall_to_utc(
                    today + timedelta(days=step.day_offset), AFTERCARE_SEND_AT, zone
                ),
                dedupe_key=f"appointment:{appointment.pk}:aftercare:{step.pk}",
            )
            for step in AftercareStep.objects.filter(is_active=True)
        ],
        ignore_conflicts=True,
    )


def _at_ten(day, zone) -> datetime:
    return slots.wall_to_utc(day, AFTERCARE_SEND_AT, zone)


def plan_recalls_schedule(*, plan, location, now: datetime | None = None) -> None:
    """Write a completed course's recalls: a check and a touch-up for permanent SMP,
    fade checks for temporary SMP, by months from the last session."""
    now = now or timezone.now()
    zone = location.zone
    completed_on = now.astimezone(zone).date()
    if plan.variant == "permanent":
        wanted = [
            (MessageKind.FADE_CHECK, months)
            for months in settings.RECALL_PERMANENT_CHECK_MONTHS
        ] + [
            (MessageKind.TOUCH_UP, months)
            for months in settings.RECALL_PERMANENT_TOUCH_UP_MONTHS
        ]
    else:
        wanted = [
            (MessageKind.FADE_CHECK, months)
            for months in settings.RECALL_TEMPORARY_FADE_CHECK_MONTHS
        ]
    OutboundMessage.objects.bulk_create(
        [
            OutboundMessage(
                client_id=plan.client_id,
                plan=plan,
                kind=kind,
                due_at=_at_ten(slots.add_months(completed_on, months), zone),
                dedupe_key=f"plan:{plan.pk}:{kind}:{months}m",
            )
            for kind, months in wanted
        ],
        ignore_conflicts=True,
    )


def course_nudge_schedule(
    *, plan, after, location, now: datetime | None = None
) -> None:
    """A nudge to book the next course session, sent only if it is still unbooked."""
    now = now or timezone.now()
    zone = location.zone
    day = now.astimezone(zone).date() + timedelta(days=settings.COURSE_NUDGE_DAYS)
    OutboundMessage.objects.bulk_create(
        [
            OutboundMessage(
                client_id=plan.client_id,
                plan=plan,
                kind=MessageKind.COURSE_NUDGE,
                due_at=_at_ten(day, zone),
                dedupe_key=f"plan:{plan.pk}:course_nudge:{after.number}",
            )
        ],
        ignore_conflicts=True,
    )


def ink_passport_schedule(*, client, now: datetime | None = None) -> OutboundMessage:
    """The client's ink passport, due at once (staff send it on request)."""
    now = now or timezone.now()
    return OutboundMessage.objects.create(
        client=client,
        kind=MessageKind.INK_PASSPORT,
        due_at=now,
        dedupe_key=f"client:{client.pk}:ink_passport:{now.isoformat()}",
    )


def appointment_messages_cancel(*, appointment) -> int:
    """Cancel an appointment's messages not sent yet (moved, cancelled, no-show)."""
    return OutboundMessage.objects.filter(
        appointment=appointment, status=MessageStatus.PENDING
    ).update(status=MessageStatus.CANCELLED, last_error="The appointment changed.")


def appointment_messages_reschedule(*, appointment) -> None:
    appointment_messages_cancel(appointment=appointment)
    appointment_messages_schedule(appointment=appointment)


@dataclass
class SweepResult:
    claimed: int = 0
    sent: int = 0
    skipped: int = 0
    retried: int = 0
    failed: int = 0


def _claim(now: datetime, batch: int) -> list[OutboundMessage]:
    token = secrets.token_hex(16)
    with transaction.atomic():
        stale = now - timedelta(seconds=settings.MESSAGE_CLAIM_TIMEOUT_SECONDS)
        OutboundMessage.objects.filter(
            status=MessageStatus.SENDING, claimed_at__lt=stale
        ).update(status=MessageStatus.PENDING, claim="")
        due = OutboundMessage.objects.filter(
            status=MessageStatus.PENDING, due_at__lte=now
        ).order_by("due_at", "pk")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        ids = list(due.values_list("pk", flat=True)[:batch])
        # The status condition makes the claim safe without row locks too (SQLite
        # runs one writer at a time): a row another sweep took is not pending.
        OutboundMessage.objects.filter(pk__in=ids, status=MessageStatus.PENDING).update(
            status=MessageStatus.SENDING, claim=token, claimed_at=now
        )
    return list(
        OutboundMessage.objects.filter(claim=token, status=MessageStatus.SENDING)
        .select_related(
            "client",
            "aftercare_step",
            "appointment__service",
            "appointment__location",
            "appointment__practitioner__user",
            "plan__practitioner__user",
        )
        .order_by("due_at", "pk")
    )


def _still_applies(message: OutboundMessage, now: datetime) -> str:
    """Why a claimed message must not be sent now, or "" when it may."""
    client = message.client
    if not client.email:
        return "The client has no email address."
    if message.kind != MessageKind.CONFIRMATION and not client.reminder_consent:
        return "The client does not want reminders."
    if message.kind == MessageKind.INK_PASSPORT:
        return ""
    if message.kind in PLAN_KINDS:
        return _plan_still_applies(message)
    appointment = message.appointment
    if message.kind == MessageKind.AFTERCARE:
        step = message.aftercare_step
        if step is None or not step.is_active:
            return "The clinic no longer sends this aftercare email."
        if appointment is None or appointment.status != "completed":
            return "The session is not completed."
        return ""
    if appointment is not None:
        if appointment.status not in ("booked", "confirmed"):
            return f"The appointment is {appointment.get_status_display().lower()}."
        if appointment.starts_at != message.for_starts_at:
            return "The appointment has moved."
        if appointment.starts_at <= now:
            return "The appointment has started."
    return ""


PLAN_KINDS = {MessageKind.COURSE_NUDGE, MessageKind.FADE_CHECK, MessageKind.TOUCH_UP}


def _plan_still_applies(message: OutboundMessage) -> str:
    plan = message.plan
    if plan is None or plan.status == "cancelled":
        return "The treatment plan was cancelled."
    if message.kind == MessageKind.COURSE_NUDGE:
        if plan.status != "active":
            return "The course is complete."
        live = ("booked", "confirmed", "checked_in", "completed")
        if not plan.sessions.exclude(appointment__status__in=live).exists():
            return "Every session of the course is booked."
    return ""


def _finish(message: OutboundMessage, **fields) -> None:
    # Only the sweep holding the claim may record the result.
    OutboundMessage.objects.filter(pk=message.pk, claim=message.claim).update(
        claim="", **fields
    )


def messages_send_due(
    *, now: datetime | None = None, batch: int | None = None
) -> SweepResult:
    """One sweep of the outbox."""
    now = now or timezone.now()
    result = SweepResult()
    claimed = _claim(now, batch or settings.MESSAGE_SWEEP_BATCH)
    result.claimed = len(claimed)
    if not claimed:
        return result
    mail = get_connection()
    with mail:
        for message in claimed:
            reason = _still_applies(message, now)
            if reason:
                _finish(message, status=MessageStatus.CANCELLED, last_error=reason)
                result.skipped += 1
                continue
            try:
                email = build_email(message, mail)
                email.send()
            except Exception as error:  # noqa: BLE001 - any failure is retried, then shown
                attempts = message.attempts + 1
                failed = attempts >= settings.MESSAGE_MAX_ATTEMPTS
                _finish(
                    message,
                    attempts=attempts,
                    status=MessageStatus.FAILED if failed else MessageStatus.PENDING,
                    due_at=now + timedelta(minutes=2**attempts),
                    last_error=f"{type(error).__name__}: {error}"[:500],
                )
                logger.warning(
                    "message %s not sent (attempt %s): %s",
                    message.pk,
                    attempts,
                    type(error).__name__,
                )
                result.failed += failed
                result.retried += not failed
                continue
            _finish(
                message,
                status=MessageStatus.SENT,
                sent_at=timezone.now(),
                attempts=message.attempts + 1,
                subject=email.subject[:200],
                last_error="",
            )
            result.sent += 1
    return result


def message_retry(*, message: OutboundMessage) -> None:
    """Staff ask for a failed message to be tried again now."""
    OutboundMessage.objects.filter(
        Q(status=MessageStatus.FAILED) | Q(status=MessageStatus.CANCELLED),
        pk=message.pk,
    ).update(status=MessageStatus.PENDING, due_at=timezone.now(), attempts=0)


def email_context(message: OutboundMessage) -> dict:
    appointment = message.appointment
    context = {
        "clinic_name": settings.CLINIC_NAME,
        "client": message.client,
        "message": message,
        "unsubscribe_url": links.unsubscribe_url(message.client),
    }
    if appointment is not None:
        zone = appointment.location.zone
        context.update(
            appointment=appointment,
            location=appointment.location,
            starts_at=appointment.starts_at.astimezone(zone),
            ends_at=appointment.ends_at.astimezone(zone),
        )
    if message.plan is not None:
        plan = message.plan
        context.update(plan=plan, location=_plan_location(plan))
    if message.kind == MessageKind.INK_PASSPORT:
        context["passport"] = list(treatment_selectors.ink_passport(message.client))
    if message.kind == MessageKind.AFTERCARE:
        context["step"] = message.aftercare_step
    elif appointment is not None:
        context.update(
            confirm_url=links.action_url("confirm", appointment),
            cancel_url=links.action_url("cancel", appointment),
            reschedule_url=links.action_url("reschedule", appointment),
        )
    return context


def _plan_location(plan):
    last = (
        plan.sessions.filter(appointment__isnull=False)
        .select_related("appointment__location")
        .order_by("-number")
        .first()
    )
    if last is not None:
        return last.appointment.location
    return plan.practitioner.locations.first()


APPOINTMENT_KINDS = {
    MessageKind.CONFIRMATION,
    MessageKind.PREPARATION,
    MessageKind.REMINDER,
    MessageKind.AFTERCARE,
}


def template_name(kind: str) -> str:
    if kind in APPOINTMENT_KINDS:
        return f"emails/appointment_{kind}"
    return f"emails/{kind}"


def build_email(
    message: OutboundMessage, mail_connection=None
) -> EmailMultiAlternatives:
    context = email_context(message)
    name = template_name(message.kind)
    subject = " ".join(render_to_string(f"{name}.subject.txt", context).split())
    email = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"{name}.txt", context),
        to=[message.client.email],
        connection=mail_connection,
        headers={
            "List-Unsubscribe": f"<{context['unsubscribe_url']}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "X-SMP-Message": str(message.pk),
        },
    )
    email.attach_alternative(render_to_string(f"{name}.html", context), "text/html")
    if message.kind == MessageKind.CONFIRMATION and message.appointment is not None:
        email.attach(
            "appointment.ics",
            appointment_ics(message.appointment),
            "text/calendar; method=PUBLISH",
        )
    return email


def appointment_ics(appointment) -> str:
    """An iCalendar event for the appointment, times in its location's zone."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", f"-//{settings.CLINIC_NAME}//SMP Clinic//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = icalendar.Event()
    zone = appointment.location.zone
    event.add("uid", f"appointment-{appointment.pk}@{links.site_host()}")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", appointment.starts_at.astimezone(zone))
    event.add("dtend", appointment.ends_at.astimezone(zone))
    event.add("summary", f"{appointment.service} at {settings.CLINIC_NAME}")
    location = appointment.location
    event.add("location", f"{location.name}, {location.address}".strip(", "))
    # A later version of the event (the appointment moved) replaces the earlier one.
    event.add("sequence", int(appointment.updated_at.timestamp()))
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical().decode()
