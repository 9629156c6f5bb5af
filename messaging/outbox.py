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

Text messages go through the same rows, claims and retries. A message a client who
prefers texts should get by SMS is written with an SMS twin (`channel`="sms", the
email's dedupe key plus ":sms"); news that carries a calendar file goes by both. An SMS
that can no longer go (no phone, STOP, a number the provider says cannot take texts)
falls back to email: the email row is written then, under the email's own key, so
neither channel can send a message twice. No SMS goes in a location's quiet hours
(21:00 to 08:00 local) unless it is about a change to an appointment that soon.
"""

import logging
import secrets
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format

from appointments import feeds, slots
from appointments import hooks as appointment_hooks
from appointments.deposit_links import deposit_pay_path
from appointments.models import Appointment, Service
from clients.models import Client, ContactMethod
from clients.phones import display_phone
from core import dates
from core.clinic import ClinicIdentity, clinic_identity
from core.mail import render_plain_text
from core.money import format_money
from messaging import hooks as message_hooks
from messaging import links, selectors, sms, texts
from messaging.models import (
    AftercareStep,
    Channel,
    Delivery,
    MessageKind,
    MessageStatus,
    OutboundMessage,
)
from treatments import hooks as treatment_hooks
from treatments import selectors as treatment_selectors

logger = logging.getLogger(__name__)

# Sent whatever the reminder consent: a booking's confirmation; aftercare, which is
# care (body-art codes ask for its receipt), not a reminder; and a lot recall notice,
# which is about the client's safety.
# A move or a cancellation is news about a booking, like its confirmation.
CANCELLED_KINDS = {MessageKind.CANCELLED, MessageKind.CANCELLED_BY_CLIENT}
CARE_KINDS = {
    MessageKind.CONFIRMATION,
    MessageKind.COURSE_CONFIRMATION,
    MessageKind.MOVED,
    *CANCELLED_KINDS,
    MessageKind.AFTERCARE,
    MessageKind.LOT_RECALL,
    # The front desk answering a text the client sent.
    MessageKind.REPLY,
    # The front desk asking for the deposit of a booking the client made.
    MessageKind.DEPOSIT_REQUEST,
    # A receipt or invoice: an account of money, not a reminder.
    MessageKind.DOCUMENT,
}
# The messages that told the client when their appointment is.
TOLD_KINDS = (MessageKind.CONFIRMATION, MessageKind.MOVED)

# Service kinds that put pigment in the skin get a preparation note.
PREPARED_KINDS = {"smp_session", "scar_camouflage", "touch_up"}

# The kinds a client who prefers texts gets by SMS (each has a text in
# texts.SMS_TEXTS). Aftercare, the preparation note, the ink passport and a lot
# recall are too long or too sensitive for a text: they stay email.
SMS_KINDS = {
    MessageKind.CONFIRMATION,
    MessageKind.MOVED,
    MessageKind.COURSE_CONFIRMATION,
    *CANCELLED_KINDS,
    MessageKind.REMINDER,
    MessageKind.COURSE_NUDGE,
    MessageKind.FADE_CHECK,
    MessageKind.TOUCH_UP,
    MessageKind.WAITLIST_OFFER,
    MessageKind.WAITLIST_GONE,
}
# News about a booking carries a calendar file (or a course's list): by email as
# well as by text.
BOTH_CHANNEL_KINDS = {
    MessageKind.CONFIRMATION,
    MessageKind.MOVED,
    MessageKind.COURSE_CONFIRMATION,
    *CANCELLED_KINDS,
}
# Changes that may go in quiet hours when the time they are about is this close.
URGENT_KINDS = {
    MessageKind.CONFIRMATION,
    MessageKind.MOVED,
    *CANCELLED_KINDS,
    MessageKind.WAITLIST_OFFER,
    MessageKind.WAITLIST_GONE,
}
SMS_KEY_SUFFIX = ":sms"
_CLIENT_SMS_FIELDS = (
    "pk",
    "phone",
    "preferred_contact",
    "sms_opt_out",
    "sms_unreachable",
)


def wants_sms(client) -> bool:
    """Whether the client's messages go by text: they prefer it and can take it."""
    return client.preferred_contact == ContactMethod.SMS and client.can_take_sms


def _cached_client(message: OutboundMessage):
    if OutboundMessage.client.is_cached(message):
        return message.client
    appointment = message._state.fields_cache.get("appointment")
    if appointment is not None and Appointment.client.is_cached(appointment):
        return appointment.client
    return None


def _copy(message: OutboundMessage, **changes) -> OutboundMessage:
    fields = {
        field.attname: getattr(message, field.attname)
        for field in OutboundMessage._meta.concrete_fields
        if not field.primary_key
    }
    return OutboundMessage(**{**fields, **changes})


def _by_channel(messages: list[OutboundMessage]) -> list[OutboundMessage]:
    """The messages as each client wants them: an SMS twin for a client who prefers
    texts, in place of the email or (BOTH_CHANNEL_KINDS) beside it."""
    clients = {}
    for message in messages:
        client = _cached_client(message)
        if client is not None:
            clients[message.client_id] = client
    missing = {m.client_id for m in messages if m.kind in SMS_KINDS} - set(clients)
    if missing:
        clients.update(
            (client.pk, client)
            for client in Client.objects.filter(pk__in=missing).only(
                *_CLIENT_SMS_FIELDS
            )
        )
    out = []
    for message in messages:
        client = clients.get(message.client_id)
        if (
            message.channel == Channel.EMAIL
            and message.kind in SMS_KINDS
            and client is not None
            and wants_sms(client)
        ):
            out.append(
                _copy(
                    message,
                    channel=Channel.SMS,
                    dedupe_key=message.dedupe_key + SMS_KEY_SUFFIX,
                )
            )
            if message.kind not in BOTH_CHANNEL_KINDS:
                continue
        out.append(message)
    return out


def _bulk_write(messages: list[OutboundMessage]) -> None:
    OutboundMessage.objects.bulk_create(_by_channel(messages), ignore_conflicts=True)


def appointment_message_key(
    appointment_id: int, starts_at: datetime, kind: str, extra: str = ""
) -> str:
    """The dedupe key of an appointment's message, written for one start time."""
    return f"appointment:{appointment_id}:{kind}{extra}:{starts_at:%Y%m%dT%H%MZ}"


def _key(appointment, kind: str, extra: str = "") -> str:
    return appointment_message_key(appointment.pk, appointment.starts_at, kind, extra)


def _write(
    messages: list[OutboundMessage], *, revive: bool = True, by_channel: bool = True
) -> None:
    """Insert messages; a key written before is a no-op, unless that message was
    cancelled: an appointment moved back to a time it had needs its reminders again.
    (revive=False: the messages of an appointment booked in this transaction, which
    has none written before, so there is nothing to look for. by_channel=False: the
    SMS twins are in `messages` already.)"""
    if by_channel:
        messages = _by_channel(messages)
    OutboundMessage.objects.bulk_create(messages, ignore_conflicts=True)
    if not revive:
        return
    wanted = {message.dedupe_key: message for message in messages}
    revived = OutboundMessage.objects.filter(
        dedupe_key__in=wanted, status=MessageStatus.CANCELLED
    )
    for old in revived.only("pk", "dedupe_key"):
        new = wanted[old.dedupe_key]
        OutboundMessage.objects.filter(
            pk=old.pk, status=MessageStatus.CANCELLED
        ).update(
            status=MessageStatus.PENDING,
            due_at=new.due_at,
            for_starts_at=new.for_starts_at,
            attempts=0,
            claim="",
            last_error="",
        )


def _reminders(appointment, timing, now: datetime) -> list[OutboundMessage]:
    """An appointment's preparation note and reminders still to come."""
    starts_at = appointment.starts_at
    wanted = []
    if appointment.service.kind in PREPARED_KINDS and timing.preparation_hours:
        hours = timing.preparation_hours
        wanted.append(
            (MessageKind.PREPARATION, starts_at - timedelta(hours=hours), f"-{hours}h")
        )
    for hours in timing.reminder_hour_list:
        due = starts_at - timedelta(hours=hours)
        wanted.append((MessageKind.REMINDER, due, f"-{hours}h"))
    return [
        OutboundMessage(
            client_id=appointment.client_id,
            appointment=appointment,
            kind=kind,
            for_starts_at=starts_at,
            due_at=due,
            dedupe_key=_key(appointment, kind, extra),
        )
        for kind, due, extra in wanted
        # A reminder whose moment has passed (a booking made tomorrow) is skipped.
        if due > now
    ]


def appointment_messages_first(*, appointment, confirm: bool = True) -> None:
    """The appointment_booked hook: a new appointment, with no messages yet. Without
    `confirm` (a course's session: course_confirmation_schedule confirms them all),
    its preparation note and reminders only."""
    if confirm:
        appointment_messages_schedule(appointment=appointment, new=True)
        return
    now = timezone.now()
    _write(_reminders(appointment, selectors.message_settings(), now), revive=False)


COURSE_KEY = "plan:{plan}:course_confirmation:{ids}"


def course_confirmation_schedule(
    *, plan, appointments, now: datetime | None = None
) -> None:
    """The course_booked hook: one confirmation listing every session booked
    together, with one calendar file holding them all. Its key names the
    appointments, which the email lists (those still to come when it goes)."""
    if not appointments:
        return
    now = now or timezone.now()
    first = appointments[0]
    ids = "-".join(str(a.pk) for a in appointments)
    _bulk_write(
        [
            OutboundMessage(
                client_id=plan.client_id,
                plan=plan,
                appointment=first,
                kind=MessageKind.COURSE_CONFIRMATION,
                for_starts_at=first.starts_at,
                due_at=now,
                dedupe_key=COURSE_KEY.format(plan=plan.pk, ids=ids),
            )
        ]
    )


def course_appointments(message: OutboundMessage, now: datetime | None = None) -> list:
    """The sessions a course confirmation lists: those it was written for that are
    still booked and to come, in order."""
    tail = message.dedupe_key.removesuffix(SMS_KEY_SUFFIX).rsplit(":", 1)[-1]
    tail = tail.split("-")
    ids = [int(pk) for pk in tail if pk.isdigit()]
    return list(
        Appointment.objects.filter(
            pk__in=ids,
            status__in=("booked", "confirmed"),
            starts_at__gt=now or timezone.now(),
        )
        .select_related(
            "service", "location", "practitioner__user", "treatment_session"
        )
        .order_by("starts_at")
    )


def appointment_messages_schedule(
    *, appointment, now: datetime | None = None, new: bool = False
) -> None:
    """Write a booked appointment's confirmation, preparation note and reminders.
    new: booked in this transaction, so no message of it exists yet (two reads
    fewer for every booking)."""
    now = now or timezone.now()
    # Each confirmation sent counts: one moved away and back is confirmed again.
    confirmed = (
        0
        if new
        else OutboundMessage.objects.filter(
            appointment=appointment,
            kind=MessageKind.CONFIRMATION,
            status=MessageStatus.SENT,
        ).count()
    )
    confirmation = OutboundMessage(
        client_id=appointment.client_id,
        appointment=appointment,
        kind=MessageKind.CONFIRMATION,
        for_starts_at=appointment.starts_at,
        due_at=now,
        dedupe_key=_key(appointment, MessageKind.CONFIRMATION, f"-{confirmed}"),
    )
    timing = selectors.message_settings()
    _write([confirmation, *_reminders(appointment, timing, now)], revive=not new)


# Appointments re-planned at once when the clinic changes its reminder times.
REFRESH_CHUNK = 500


def appointment_reminders_refresh(*, now: datetime | None = None) -> int:
    """Re-plan the reminders of every appointment still to come after the clinic
    changed its reminder times; returns how many appointments that touched."""
    now = now or timezone.now()
    timing = selectors.message_settings()
    upcoming = (
        Appointment.objects.filter(
            status__in=("booked", "confirmed"), starts_at__gt=now
        )
        .select_related("service")
        .order_by("pk")
    )
    count = 0
    chunk: list = []
    for appointment in upcoming.iterator(chunk_size=REFRESH_CHUNK):
        chunk.append(appointment)
        if len(chunk) == REFRESH_CHUNK:
            count += _refresh(chunk, timing, now)
            chunk = []
    return count + _refresh(chunk, timing, now)


def _refresh(appointments: list, timing, now: datetime) -> int:
    wanted = _by_channel([m for a in appointments for m in _reminders(a, timing, now)])
    OutboundMessage.objects.filter(
        appointment__in=appointments,
        kind__in=(MessageKind.PREPARATION, MessageKind.REMINDER),
        status=MessageStatus.PENDING,
    ).exclude(dedupe_key__in=[m.dedupe_key for m in wanted]).update(
        status=MessageStatus.CANCELLED,
        last_error="The clinic changed its reminder times.",
    )
    _write(wanted, by_channel=False)
    return len(appointments)


# Aftercare emails after day 0 go at this wall-clock time in the location's zone.
AFTERCARE_SEND_AT = time(10)


def appointment_aftercare_schedule(*, appointment, now: datetime | None = None) -> None:
    """Write the clinic's aftercare sequence for a completed treatment session.

    Aftercare follows the course (DOMAIN.md): the newest session's sequence replaces
    whatever the client's earlier sessions still had pending, and the steps marked
    "final session only" (the 28-day "healed") are written only after the last
    session of a course, counted from it."""
    if appointment.service.kind not in PREPARED_KINDS:
        return
    now = now or timezone.now()
    OutboundMessage.objects.filter(
        client_id=appointment.client_id,
        kind=MessageKind.AFTERCARE,
        status=MessageStatus.PENDING,
    ).exclude(appointment=appointment).update(
        status=MessageStatus.CANCELLED,
        last_error="A later session's aftercare replaced it.",
    )
    steps = AftercareStep.objects.filter(is_active=True)
    if not treatment_selectors.completes_course(appointment):
        steps = steps.exclude(after=AftercareStep.After.FINAL_SESSION)
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
            for step in steps
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
    timing = selectors.message_settings()
    if plan.variant == "permanent":
        wanted = [
            (MessageKind.FADE_CHECK, months)
            for months in timing.months("permanent_check_months")
        ] + [
            (MessageKind.TOUCH_UP, months)
            for months in timing.months("permanent_touch_up_months")
        ]
    else:
        wanted = [
            (MessageKind.FADE_CHECK, months)
            for months in timing.months("temporary_fade_check_months")
        ]
    _recalls_write(
        wanted,
        counted_from=completed_on,
        zone=zone,
        key=f"plan:{plan.pk}",
        client_id=plan.client_id,
        plan=plan,
    )


def touch_up_recalls_schedule(
    *, appointment, plan=None, now: datetime | None = None
) -> None:
    """A completed touch-up (with or without a plan) writes the next recalls, so
    maintenance never silently ends: permanent SMP the next touch-up, temporary SMP
    its fade checks again, by months from the touch-up. `plan` (the client's latest)
    says which; without one, permanent."""
    now = now or timezone.now()
    zone = appointment.location.zone
    done_on = now.astimezone(zone).date()
    timing = selectors.message_settings()
    if plan is not None and plan.variant == "temporary":
        wanted = [
            (MessageKind.FADE_CHECK, months)
            for months in timing.months("temporary_fade_check_months")
        ]
    else:
        wanted = [
            (MessageKind.TOUCH_UP, months)
            for months in timing.months("permanent_touch_up_months")
        ]
    _recalls_write(
        wanted,
        counted_from=done_on,
        zone=zone,
        key=f"appointment:{appointment.pk}",
        client_id=appointment.client_id,
        plan=plan,
        appointment=appointment,
    )


def _recalls_write(wanted, *, counted_from, zone, key: str, **about) -> None:
    """One recall per (kind, months) in `wanted`, due at ten in the morning that many
    months after `counted_from`; the dedupe key (`key`:kind:months) writes each once."""
    _bulk_write(
        [
            OutboundMessage(
                kind=kind,
                due_at=_at_ten(dates.add_months(counted_from, months), zone),
                dedupe_key=f"{key}:{kind}:{months}m",
                **about,
            )
            for kind, months in wanted
        ]
    )


def course_nudge_schedule(
    *, plan, after, location, now: datetime | None = None
) -> None:
    """A nudge to book the next course session, sent only if it is still unbooked."""
    now = now or timezone.now()
    zone = location.zone
    nudge_days = selectors.message_settings().course_nudge_days
    day = now.astimezone(zone).date() + timedelta(days=nudge_days)
    _bulk_write(
        [
            OutboundMessage(
                client_id=plan.client_id,
                plan=plan,
                kind=MessageKind.COURSE_NUDGE,
                due_at=_at_ten(day, zone),
                dedupe_key=f"plan:{plan.pk}:course_nudge:{after.number}",
            )
        ]
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


def document_message_write(
    *, document_id: int, client, now: datetime | None = None
) -> tuple[OutboundMessage, bool]:
    """Email a receipt or invoice (payments' Document) to its client, due at once,
    in the caller's transaction. One email per document, whoever asks and however
    often (the dedupe key); the PDF is drawn when it is sent. Returns the message
    and whether it is new."""
    return OutboundMessage.objects.get_or_create(
        dedupe_key=f"document:{document_id}",
        defaults={
            "client": client,
            "kind": MessageKind.DOCUMENT,
            "document_id": document_id,
            "due_at": now or timezone.now(),
        },
    )


def _document_file(message: OutboundMessage):
    files = [
        file
        for file in message_hooks.document_file(document_id=message.document_id)
        if file
    ]
    if not files:
        raise ValueError("The receipt or invoice is no longer there.")
    return files[0]


def lot_recall_schedule(*, lot, clients, now: datetime | None = None) -> int:
    """One recall notice about `lot` to each of `clients`, due at once. Keyed by lot
    and client: sending the notices again writes nothing twice. Returns how many
    were written now."""
    now = now or timezone.now()
    messages = [
        OutboundMessage(
            client=client,
            kind=MessageKind.LOT_RECALL,
            lot=lot,
            due_at=now,
            dedupe_key=f"lot:{lot.pk}:recall:client:{client.pk}",
        )
        for client in clients
    ]
    before = OutboundMessage.objects.filter(
        kind=MessageKind.LOT_RECALL, lot=lot
    ).count()
    OutboundMessage.objects.bulk_create(messages, ignore_conflicts=True)
    return (
        OutboundMessage.objects.filter(kind=MessageKind.LOT_RECALL, lot=lot).count()
        - before
    )


WAITLIST_KEYS = {
    MessageKind.WAITLIST_OFFER: "waitlist_offer:{pk}",
    MessageKind.WAITLIST_GONE: "waitlist_offer:{pk}:gone",
}


def waitlist_messages_schedule(
    *, offers, kind: str, now: datetime | None = None
) -> None:
    """An email for each offer, due at once: the time offered (WAITLIST_OFFER), or
    that another client took it (WAITLIST_GONE)."""
    now = now or timezone.now()
    _bulk_write(
        [
            OutboundMessage(
                client_id=offer.entry.client_id,
                waitlist_offer=offer,
                kind=kind,
                due_at=now,
                dedupe_key=WAITLIST_KEYS[kind].format(pk=offer.pk),
            )
            for offer in offers
        ]
    )


def deposit_request_schedule(*, appointment, now: datetime | None = None) -> None:
    """The deposit_requested hook: email the client the link to pay the deposit by
    card. Each request from the desk is one email (a second press in the same
    second is the same one)."""
    now = now or timezone.now()
    _bulk_write(
        [
            OutboundMessage(
                client_id=appointment.client_id,
                appointment=appointment,
                kind=MessageKind.DEPOSIT_REQUEST,
                for_starts_at=appointment.starts_at,
                due_at=now,
                dedupe_key=_key(
                    appointment,
                    MessageKind.DEPOSIT_REQUEST,
                    f"-{int(now.timestamp())}",
                ),
            )
        ]
    )


def appointment_messages_cancel(*, appointment) -> int:
    """Cancel an appointment's messages not sent yet (moved, cancelled, no-show)."""
    return OutboundMessage.objects.filter(
        appointment=appointment, status=MessageStatus.PENDING
    ).update(status=MessageStatus.CANCELLED, last_error="The appointment changed.")


def plan_messages_cancel(*, plan) -> int:
    """Cancel a cancelled plan's messages not sent yet."""
    return OutboundMessage.objects.filter(
        plan=plan, status=MessageStatus.PENDING
    ).update(status=MessageStatus.CANCELLED, last_error="The plan was cancelled.")


def _told(appointment) -> bool:
    """Whether an email that gave the client the appointment's time has gone out:
    its own confirmation or move, or the confirmation of the course it is part of."""
    return OutboundMessage.objects.filter(
        Q(appointment=appointment, kind__in=TOLD_KINDS)
        | Q(
            kind=MessageKind.COURSE_CONFIRMATION,
            plan__sessions__appointment=appointment,
            sent_at__gte=appointment.created_at,
        ),
        status=MessageStatus.SENT,
    ).exists()


def _course_confirmation_pending(appointment) -> bool:
    return OutboundMessage.objects.filter(
        kind=MessageKind.COURSE_CONFIRMATION,
        plan__sessions__appointment=appointment,
        status=MessageStatus.PENDING,
    ).exists()


def appointment_messages_reschedule(
    *, appointment, was=None, now: datetime | None = None
) -> None:
    """The appointment_moved hook. A client already told the time gets one "moved"
    email (the old time struck, the new one, the calendar event updated in place);
    one not told yet (moved before the sweep sent the confirmation) gets the
    confirmation of the new time instead. Reminders follow the new time either way.
    Keyed by the appointment's calendar sequence: once per move."""
    now = now or timezone.now()
    # The time the client was last told: the one a "moved" email not sent yet would
    # have struck (two moves before a sweep make one email from the first time).
    told_start = (
        OutboundMessage.objects.filter(
            appointment=appointment,
            kind=MessageKind.MOVED,
            status=MessageStatus.PENDING,
        )
        .values_list("previous_starts_at", flat=True)
        .first()
    ) or was
    appointment_messages_cancel(appointment=appointment)
    timing = selectors.message_settings()
    reminders = _reminders(appointment, timing, now)
    if not _told(appointment):
        if _course_confirmation_pending(appointment):
            # The course's confirmation, not sent yet, lists it at its new time.
            _write(reminders)
        else:
            appointment_messages_schedule(appointment=appointment, now=now)
        return
    if told_start == appointment.starts_at:
        # Moved away and back before the sweep: the client's time stands.
        _write(reminders)
        return
    moved = OutboundMessage(
        client_id=appointment.client_id,
        appointment=appointment,
        kind=MessageKind.MOVED,
        for_starts_at=appointment.starts_at,
        previous_starts_at=told_start,
        due_at=now,
        dedupe_key=_key(
            appointment, MessageKind.MOVED, f"-{appointment.calendar_sequence}"
        ),
    )
    _write([moved, *reminders])


def appointment_messages_cancelled(
    *, appointment, by_client: bool = False, now: datetime | None = None
) -> None:
    """The appointment_cancelled hook: what was still to be sent is cancelled, and a
    client who was told the time gets one "cancelled" email with a calendar file that
    removes the event (the clinic's cancellation apologises and offers to rebook)."""
    now = now or timezone.now()
    appointment_messages_cancel(appointment=appointment)
    # Nothing to take back where the client never heard of it, or it has begun.
    if appointment.starts_at <= now or not _told(appointment):
        return
    kind = MessageKind.CANCELLED_BY_CLIENT if by_client else MessageKind.CANCELLED
    _bulk_write(
        [
            OutboundMessage(
                client_id=appointment.client_id,
                appointment=appointment,
                kind=kind,
                for_starts_at=appointment.starts_at,
                due_at=now,
                dedupe_key=f"appointment:{appointment.pk}:cancelled",
            )
        ]
    )


@dataclass
class SweepResult:
    claimed: int = 0
    sent: int = 0
    skipped: int = 0
    retried: int = 0
    failed: int = 0
    # Texts held back to the end of a location's quiet hours.
    postponed: int = 0


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
            "waitlist_offer__entry__service",
            "waitlist_offer__location",
            "waitlist_offer__practitioner__user",
            "lot__pigment",
        )
        .order_by("due_at", "pk")
    )


def _still_applies(message: OutboundMessage, now: datetime) -> str:
    """Why a claimed message must not be sent now, or "" when it may."""
    client = message.client
    if message.channel == Channel.EMAIL and not client.email:
        return "The client has no email address."
    if message.channel == Channel.EMAIL and client.email_opt_out:
        return "The client has opted out of all email."
    if message.kind not in CARE_KINDS and not client.reminder_consent:
        return "The client does not want reminders."
    if message.kind in (MessageKind.INK_PASSPORT, MessageKind.LOT_RECALL):
        return ""
    if message.kind == MessageKind.DOCUMENT:
        if not [
            file
            for file in message_hooks.document_file(document_id=message.document_id)
            if file
        ]:
            return "The receipt or invoice is no longer there."
        return ""
    if message.kind in PLAN_KINDS:
        return _plan_still_applies(message)
    if message.kind == MessageKind.WAITLIST_OFFER:
        offer = message.waitlist_offer
        if offer.status != offer.Status.OPEN:
            return f"The offer is {offer.get_status_display().lower()}."
        if offer.starts_at <= now:
            return "The time offered has passed."
        return ""
    if message.kind == MessageKind.WAITLIST_GONE:
        return ""
    appointment = message.appointment
    if message.kind == MessageKind.COURSE_CONFIRMATION:
        if message.plan is None or message.plan.status == "cancelled":
            return "The treatment plan was cancelled."
        if not course_appointments(message, now):
            return "No session of the course is still to come."
        return ""
    if message.kind in CANCELLED_KINDS:
        if appointment is None or appointment.status != "cancelled":
            return "The appointment is no longer cancelled."
        return ""
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
RECALL_KINDS = {MessageKind.FADE_CHECK, MessageKind.TOUCH_UP}
LIVE_STATUSES = ("booked", "confirmed", "checked_in", "completed")
# A fade check booked or held this close to a fade-check recall's date stands in for
# it; an earlier one (the previous check of the series) does not.
RECALL_EARLY_DAYS = 90


def _recall_answered(message: OutboundMessage) -> bool:
    """Whether the client booked or had a matching appointment since the recall was
    written: a touch-up answers any recall (and writes the next ones itself), a fade
    check answers a fade-check recall due within RECALL_EARLY_DAYS of it."""
    written = message.created_at
    since = Appointment.objects.filter(
        Q(created_at__gt=written) | Q(starts_at__gt=written),
        client_id=message.client_id,
        status__in=LIVE_STATUSES,
    ).exclude(pk=message.appointment_id)
    matching = Q(service__kind="touch_up")
    if message.kind == MessageKind.FADE_CHECK:
        matching |= Q(
            service__kind="fade_check",
            starts_at__gte=message.due_at - timedelta(days=RECALL_EARLY_DAYS),
        )
    return since.filter(matching).exists()


def _plan_still_applies(message: OutboundMessage) -> str:
    plan = message.plan
    if message.kind in RECALL_KINDS and _recall_answered(message):
        return "The client has booked since this recall was written."
    if plan is None and message.kind in RECALL_KINDS and message.appointment_id:
        return ""
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


@contextmanager
def _quick_commits():
    """Each result is its own commit, so that a sweep that dies has recorded what it
    sent. On PostgreSQL those commits need not wait for the disk: only a crash of the
    database server itself could lose the last fraction of a second of them, and then
    those messages go again (at least once, as ever). It took the sweep from 160 to
    over 500 messages a second (bench/RESULTS.md)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


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
    clinic_texts = selectors.message_texts()
    try:
        clinic = clinic_identity()
    except Exception:  # noqa: BLE001 - then each message reads it in its own try
        clinic = None
    sender = None
    with mail, _quick_commits():
        for message in claimed:
            reason = _still_applies(message, now)
            if reason:
                _finish(message, status=MessageStatus.CANCELLED, last_error=reason)
                result.skipped += 1
                continue
            if message.channel == Channel.SMS:
                sender = sender or sms.backend()
                _send_sms(message, sender, now, clinic_texts, result)
                continue
            try:
                email = build_email(message, mail, clinic_texts, clinic)
                email.send()
            except Exception as error:  # noqa: BLE001 - any failure is retried, then shown
                _not_sent(message, error, now, result)
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


def _not_sent(message: OutboundMessage, error: Exception, now, result) -> None:
    """Retried with a doubling delay; after MESSAGE_MAX_ATTEMPTS, failed for staff."""
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


def _sms_fallback_reason(client) -> str:
    """Why a text must go by email instead, or ""."""
    if not client.phone:
        return "The client has no phone number."
    if client.sms_opt_out:
        return "The client has opted out of text messages."
    if client.sms_unreachable:
        return "The client's phone cannot take text messages."
    if client.preferred_contact != ContactMethod.SMS:
        return "The client no longer prefers text messages."
    return ""


def _fall_back_to_email(message: OutboundMessage, reason: str, now) -> None:
    """Cancel the text and write its email, due now."""
    email_twin_write(message, now=now)
    _finish(
        message,
        status=MessageStatus.CANCELLED,
        last_error=f"Sent by email instead. {reason}"[:500],
    )


def email_twin_write(message: OutboundMessage, *, now) -> None:
    """The email twin of a text, due now, under the email's own key: a no-op where
    the email exists (news sent by both channels, or a second failure callback)."""
    OutboundMessage.objects.bulk_create(
        [
            _copy(
                message,
                channel=Channel.EMAIL,
                dedupe_key=message.dedupe_key.removesuffix(SMS_KEY_SUFFIX),
                status=MessageStatus.PENDING,
                due_at=now,
                attempts=0,
                claim="",
                claimed_at=None,
                last_error="",
                sent_at=None,
                subject="",
                body="",
                provider_id="",
                delivery="",
            )
        ],
        ignore_conflicts=True,
    )


def _message_zone(message: OutboundMessage) -> ZoneInfo:
    if message.appointment is not None:
        return message.appointment.location.zone
    if message.waitlist_offer is not None:
        return message.waitlist_offer.location.zone
    if message.plan is not None:
        location = _plan_location(message.plan)
        if location is not None:
            return location.zone
    return ZoneInfo(settings.TIME_ZONE)


def _about_starts_at(message: OutboundMessage) -> datetime | None:
    if message.waitlist_offer is not None:
        return message.waitlist_offer.starts_at
    if message.appointment is not None:
        return message.appointment.starts_at
    return None


def sms_quiet_until(message: OutboundMessage, now: datetime) -> datetime | None:
    """When a text due now may go, if the location's quiet hours hold it back: a
    change to an appointment (or an offered time) starting within SMS_URGENT_HOURS
    goes at once."""
    end = slots.quiet_hours_end(
        now,
        _message_zone(message),
        quiet_from=settings.SMS_QUIET_FROM,
        quiet_until=settings.SMS_QUIET_UNTIL,
    )
    if end is None:
        return None
    starts_at = _about_starts_at(message)
    if (
        message.kind in URGENT_KINDS
        and starts_at is not None
        and starts_at - now <= timedelta(hours=settings.SMS_URGENT_HOURS)
    ):
        return None
    return end


def _send_sms(message: OutboundMessage, sender, now, clinic_texts, result) -> None:
    client = message.client
    reason = _sms_fallback_reason(client)
    if message.kind == MessageKind.REPLY:
        # An answer to the client's own text: by text or not at all.
        if not client.can_take_sms:
            _finish(
                message,
                status=MessageStatus.CANCELLED,
                last_error="The client's phone cannot take text messages now.",
            )
            result.skipped += 1
            return
        reason = ""
    elif message.kind not in SMS_KINDS:
        reason = "This kind of message goes by email only."
    if reason:
        _fall_back_to_email(message, reason, now)
        result.skipped += 1
        return
    quiet_until = sms_quiet_until(message, now)
    if quiet_until is not None:
        _finish(message, status=MessageStatus.PENDING, due_at=quiet_until)
        result.postponed += 1
        return
    try:
        body = build_sms(message, clinic_texts)
        provider_id = sender.send(to=client.phone, body=body, reference=str(message.pk))
    except (sms.Unreachable, sms.OptedOut) as error:
        flag = (
            {"sms_unreachable": True}
            if isinstance(error, sms.Unreachable)
            else {"sms_opt_out": True}
        )
        Client.objects.filter(pk=client.pk).update(**flag)
        _fall_back_to_email(message, str(error), now)
        result.skipped += 1
        return
    except Exception as error:  # noqa: BLE001 - any failure is retried, then shown
        _not_sent(message, error, now, result)
        return
    _finish(
        message,
        status=MessageStatus.SENT,
        sent_at=timezone.now(),
        attempts=message.attempts + 1,
        subject=body[:200],
        body=body,
        provider_id=provider_id,
        delivery=Delivery.QUEUED,
        last_error="",
    )
    result.sent += 1


# The link a text carries, by kind: the same pages as the email's links.
SMS_LINKS = {
    MessageKind.CONFIRMATION: ("Need another time?", "reschedule"),
    MessageKind.MOVED: ("Need another time?", "reschedule"),
    MessageKind.REMINDER: ("Confirm (or reply C):", "confirm"),
    MessageKind.WAITLIST_OFFER: ("Accept:", "waitlist"),
}
SMS_OPT_OUT = "Reply STOP to opt out."


def build_sms(message: OutboundMessage, clinic_texts: dict | None = None) -> str:
    """The text of an SMS: the clinic's words for its kind, filled in like its
    email, then its short signed link and how to opt out. A reply from the front
    desk is their words as written."""
    if message.kind == MessageKind.REPLY:
        return message.body
    context = email_context(message, clinic_texts)
    text = (clinic_texts or selectors.message_texts())[text_key(message)]
    parts = [texts.fill(text.sms, context["text_values"])]
    if message.kind in SMS_LINKS:
        label, action = SMS_LINKS[message.kind]
        parts.append(f"{label} {links.short_url(message.pk, action)}")
    parts.append(SMS_OPT_OUT)
    return " ".join(parts)


def message_retry(*, message: OutboundMessage) -> None:
    """Staff ask for a failed message to be tried again now."""
    OutboundMessage.objects.filter(
        Q(status=MessageStatus.FAILED) | Q(status=MessageStatus.CANCELLED),
        pk=message.pk,
    ).update(status=MessageStatus.PENDING, due_at=timezone.now(), attempts=0)


def text_key(message: OutboundMessage) -> str | None:
    """Which of the clinic's texts (messaging/texts.py) the message uses."""
    if message.kind == MessageKind.AFTERCARE:
        return None
    if (
        message.kind == MessageKind.FADE_CHECK
        and message.plan is not None
        and message.plan.variant == "permanent"
    ):
        return "check_up"
    if message.kind == MessageKind.PREPARATION and message.appointment is not None:
        goal = treatment_selectors.treatment_goal(message.appointment)
        return PREPARATION_TEXTS.get(goal, "preparation")
    return message.kind


# The preparation note by the plan's goal; a shaved head (full-head stubble, a
# hairline) is the default "preparation".
PREPARATION_TEXTS = {"density": "preparation_density", "scar": "preparation_scar"}


def email_context(
    message: OutboundMessage,
    clinic_texts: dict | None = None,
    clinic: ClinicIdentity | None = None,
) -> dict:
    """What an email's templates are rendered with. A sweep passes the clinic's
    texts and name it read once for all its messages."""
    appointment = message.appointment
    clinic = clinic or clinic_identity()
    context = {
        "clinic_name": clinic.name,
        "clinic_logo_url": clinic.email_logo_url,
        "client": message.client,
        "message": message,
        "unsubscribe_url": links.unsubscribe_url(message.client),
    }
    if message.kind in RECALL_KINDS or message.kind in (
        MessageKind.WAITLIST_OFFER,
        MessageKind.COURSE_NUDGE,
    ):
        # The client portal, where a returning client books (portal/: by URL name,
        # an app beside this one).
        context["portal_book_url"] = settings.SITE_URL + reverse("portal:book")
    if (
        message.kind == MessageKind.CONFIRMATION
        and appointment is not None
        and appointment.service.kind == Service.Kind.CONSULTATION
    ):
        # Forms before the visit: the client signs the clinic's consents on their
        # own phone, in the portal.
        context["portal_forms_url"] = settings.SITE_URL + reverse("portal:consents")
    if (
        message.kind == MessageKind.CONFIRMATION
        and appointment is not None
        and appointment.service.deposit_minor
    ):
        # The cancellation policy, from the location's own setting (issue 22).
        location = appointment.location
        deposit = format_money(
            appointment.service.deposit_minor, location.currency, location.locale
        )
        context["deposit_policy"] = (
            f"A deposit of {deposit} holds this time. {location.deposit_policy()}"
        )
    if message.kind in RECALL_KINDS or message.kind == MessageKind.COURSE_CONFIRMATION:
        # A recall's appointment is the touch-up that wrote it, long past: the email
        # is about booking the next one. A course's confirmation lists its sessions.
        appointment = None
    values = {"first_name": message.client.first_name, "clinic": clinic.name}
    if appointment is not None:
        zone = appointment.location.zone
        starts_at = appointment.starts_at.astimezone(zone)
        context.update(
            appointment=appointment,
            location=appointment.location,
            starts_at=starts_at,
            ends_at=appointment.ends_at.astimezone(zone),
        )
        values.update(
            service=str(appointment.service),
            practitioner=str(appointment.practitioner),
            date=date_format(starts_at, "D j M"),
            time=date_format(starts_at, "H:i"),
            location=appointment.location.name,
        )
        if message.kind == MessageKind.MOVED:
            was = (message.previous_starts_at or appointment.starts_at).astimezone(zone)
            context["was_starts_at"] = was
            values.update(
                old_date=date_format(was, "D j M"), old_time=date_format(was, "H:i")
            )
        if message.kind in CANCELLED_KINDS:
            context["cancelled"] = True
        if message.kind == MessageKind.CANCELLED:
            context["rebook_url"] = settings.SITE_URL + reverse("book_location")
    if message.waitlist_offer is not None:
        offer = message.waitlist_offer
        context.update(_offer_context(offer))
        values.update(
            service=str(offer.entry.service),
            practitioner=str(offer.practitioner),
            date=date_format(context["offer_starts_at"], "D j M"),
            time=date_format(context["offer_starts_at"], "H:i"),
            location=offer.location.name,
        )
    if message.plan is not None:
        plan = message.plan
        location = (
            message.appointment.location
            if message.kind in RECALL_KINDS and message.appointment is not None
            else _plan_location(plan)
        )
        context.update(plan=plan, location=location)
        values.update(
            location=location.name if location else clinic.name,
            sessions=str(plan.sessions_planned),
            gap=f"{plan.gap_min_days} to {plan.gap_max_days} days",
        )
    elif message.kind in RECALL_KINDS and message.appointment is not None:
        location = message.appointment.location
        context["location"] = location
        values.update(location=location.name, sessions="", gap="")
    if context.get("location"):
        # Every email that names a location gives its number: "call Soho" is no use
        # without one.
        context["location_phone"] = display_phone(context["location"].phone)
    if message.kind == MessageKind.COURSE_CONFIRMATION:
        context.update(_course_context(message))
        values.update(
            service=str(message.plan.service),
            practitioner=str(message.plan.practitioner),
            booked=str(len(context["course_sessions"])),
            date=context["course_sessions"][0]["date"]
            if context["course_sessions"]
            else "",
        )
    if message.kind == MessageKind.DEPOSIT_REQUEST and appointment is not None:
        context["deposit_pay_url"] = settings.SITE_URL + deposit_pay_path(
            appointment.pk
        )
        context["deposit"] = format_money(
            appointment.service.deposit_minor,
            appointment.location.currency,
            appointment.location.locale,
        )
    if message.kind == MessageKind.PREPARATION:
        timing = selectors.message_settings()
        values["minoxidil_days"] = str(timing.minoxidil_pause_days)
    if message.lot is not None:
        context["lot"] = message.lot
        values.update(pigment=str(message.lot.pigment), lot=message.lot.lot_number)
    if message.kind == MessageKind.DOCUMENT:
        context["document_file"] = _document_file(message)
        values["document"] = context["document_file"].label
    context["text_values"] = values
    key = text_key(message)
    if key is not None:
        text = (clinic_texts or selectors.message_texts())[key]
        context.update(
            text_subject=texts.fill(text.subject, values),
            text_body=texts.fill(text.body, values),
        )
    if message.kind == MessageKind.INK_PASSPORT:
        context["passport"] = list(treatment_selectors.ink_passport(message.client))
    if message.kind == MessageKind.AFTERCARE:
        context["step"] = message.aftercare_step
    elif appointment is not None and message.kind not in CANCELLED_KINDS:
        context.update(
            confirm_url=links.action_url("confirm", appointment),
            cancel_url=links.action_url("cancel", appointment),
            reschedule_url=links.action_url("reschedule", appointment),
        )
    return context


def _course_context(message: OutboundMessage) -> dict:
    sessions = []
    for appointment in course_appointments(message):
        zone = appointment.location.zone
        starts_at = appointment.starts_at.astimezone(zone)
        session = getattr(appointment, "treatment_session", None)
        sessions.append(
            {
                "appointment": appointment,
                "number": session.number if session else None,
                "starts_at": starts_at,
                "ends_at": appointment.ends_at.astimezone(zone),
                "date": date_format(starts_at, "D j M"),
                "reschedule_url": links.action_url("reschedule", appointment),
                "cancel_url": links.action_url("cancel", appointment),
            }
        )
    return {"course_sessions": sessions}


def _offer_context(offer) -> dict:
    zone = offer.location.zone
    starts_at = offer.starts_at.astimezone(zone)
    return {
        "offer": offer,
        "location": offer.location,
        "offer_starts_at": starts_at,
        "offer_ends_at": starts_at + offer.entry.service.duration,
        "accept_url": links.waitlist_url(offer),
    }


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
    MessageKind.MOVED,
    MessageKind.PREPARATION,
    MessageKind.REMINDER,
    MessageKind.AFTERCARE,
}


def template_name(kind: str) -> str:
    if kind in CANCELLED_KINDS:
        return "emails/appointment_cancelled"
    if kind in APPOINTMENT_KINDS:
        return f"emails/appointment_{kind}"
    return f"emails/{kind}"


def build_email(
    message: OutboundMessage,
    mail_connection=None,
    clinic_texts: dict | None = None,
    clinic: ClinicIdentity | None = None,
) -> EmailMultiAlternatives:
    context = email_context(message, clinic_texts, clinic)
    name = template_name(message.kind)
    location = context.get("location")
    # Times in an email are the location's, whatever zone the sweep runs in: Django's
    # date filters convert to the active zone, which is the clinic's default.
    with timezone.override(location.zone if location else None):
        subject = " ".join(render_plain_text(f"{name}.subject.txt", context).split())
        body = render_plain_text(f"{name}.txt", context)
        # Autoescaped like every page; shown to staff only inside a sandboxed frame.
        html = render_to_string(f"{name}.html", context)
    email = EmailMultiAlternatives(
        subject=subject,
        body=body,
        to=[message.client.email],
        connection=mail_connection,
        headers={
            "List-Unsubscribe": f"<{context['unsubscribe_url']}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "X-SMP-Message": str(message.pk),
        },
    )
    email.attach_alternative(html, "text/html")
    if message.kind == MessageKind.COURSE_CONFIRMATION:
        if context["course_sessions"]:
            email.attach(
                "course.ics",
                course_ics([s["appointment"] for s in context["course_sessions"]]),
                "text/calendar; method=PUBLISH",
            )
    elif message.kind == MessageKind.DOCUMENT:
        # Drawn now from the document as issued: the row holds only its id.
        document = context["document_file"]
        email.attach(document.filename, document.content, document.mimetype)
    elif message.appointment is not None and message.kind in ICS_METHODS:
        method = ICS_METHODS[message.kind]
        email.attach(
            "appointment.ics",
            appointment_ics(message.appointment, method=method),
            f"text/calendar; method={method}",
        )
    return email


# The calendar file each kind carries: the event (a move raises its SEQUENCE, so the
# calendar updates the one it holds), or its cancellation.
ICS_METHODS = {
    MessageKind.CONFIRMATION: "PUBLISH",
    MessageKind.MOVED: "PUBLISH",
    MessageKind.CANCELLED: "CANCEL",
    MessageKind.CANCELLED_BY_CLIENT: "CANCEL",
}


def appointment_ics(appointment, *, method: str = "PUBLISH") -> str:
    """An iCalendar event for the appointment, times in its location's zone; with
    method CANCEL, the same event (UID, higher SEQUENCE) marked cancelled."""
    calendar = feeds.new_calendar()
    calendar.add("method", method)
    event = feeds.appointment_event(
        appointment,
        summary=f"{appointment.service} at {clinic_identity().name}",
        where=feeds.client_where(appointment),
        now=timezone.now(),
    )
    if method == "CANCEL":
        event.add("status", "CANCELLED")
    calendar.add_component(event)
    day = appointment.starts_at.date()
    one_year = timedelta(days=366)
    return feeds.calendar_bytes(calendar, day - one_year, day + one_year).decode()


def course_ics(appointments) -> str:
    """One calendar file holding every session of a course, each its own event (the
    UID each session's later emails use, so a move updates it in place)."""
    calendar = feeds.new_calendar()
    calendar.add("method", "PUBLISH")
    now = timezone.now()
    for appointment in appointments:
        calendar.add_component(
            feeds.appointment_event(
                appointment,
                summary=f"{appointment.service} at {clinic_identity().name}",
                where=feeds.client_where(appointment),
                now=now,
            )
        )
    one_year = timedelta(days=366)
    first = min(a.starts_at for a in appointments).date()
    last = max(a.starts_at for a in appointments).date()
    return feeds.calendar_bytes(calendar, first - one_year, last + one_year).decode()


def lot_recall_notices_count(*, lot) -> int:
    return OutboundMessage.objects.filter(lot=lot, kind=MessageKind.LOT_RECALL).count()


def _waitlist_offered(*, offers, now) -> None:
    waitlist_messages_schedule(offers=offers, kind=MessageKind.WAITLIST_OFFER, now=now)


def _waitlist_time_gone(*, offers, now) -> None:
    waitlist_messages_schedule(offers=offers, kind=MessageKind.WAITLIST_GONE, now=now)


def connect() -> None:
    """Write the messages each domain event causes, in the event's transaction
    (MessagingConfig.ready())."""
    appointment_hooks.appointment_booked.connect(appointment_messages_first)
    appointment_hooks.appointment_moved.connect(appointment_messages_reschedule)
    appointment_hooks.appointment_cancelled.connect(appointment_messages_cancelled)
    appointment_hooks.appointment_missed.connect(appointment_messages_cancel)
    appointment_hooks.appointment_completed.connect(appointment_aftercare_schedule)
    appointment_hooks.waitlist_offered.connect(_waitlist_offered)
    appointment_hooks.waitlist_time_gone.connect(_waitlist_time_gone)
    appointment_hooks.deposit_requested.connect(deposit_request_schedule)
    treatment_hooks.course_booked.connect(course_confirmation_schedule)
    treatment_hooks.plan_completed.connect(plan_recalls_schedule)
    treatment_hooks.course_next_session_unbooked.connect(course_nudge_schedule)
    treatment_hooks.touch_up_completed.connect(touch_up_recalls_schedule)
    treatment_hooks.plan_cancelled.connect(plan_messages_cancel)
    treatment_hooks.lot_recall_requested.connect(lot_recall_schedule)
    treatment_hooks.ink_passport_requested.connect(ink_passport_schedule)
    treatment_hooks.lot_recall_notices_count.connect(lot_recall_notices_count)
