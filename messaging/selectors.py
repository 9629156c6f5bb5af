from dataclasses import dataclass

from django.conf import settings
from django.db.models import Case, Q, QuerySet, When
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse

from clients.hooks import ClientMessage
from clients.selectors import TimelineEvent
from core.cache import invalidate_on_commit, read_through
from core.roles import Capability, can, refuse_erased
from messaging import texts
from messaging.models import (
    CLINICAL_MESSAGE_KINDS,
    Channel,
    InboundMessage,
    MessageKind,
    MessageSettings,
    MessageStatus,
    MessageText,
    OutboundMessage,
)


def _message_event(message) -> TimelineEvent:
    url = reverse("message_detail", args=[message.pk])
    if message.kind == MessageKind.AFTERCARE and message.status == MessageStatus.SENT:
        # The aftercare receipt body-art codes ask for: what was sent, when, to whom.
        return TimelineEvent(
            message.sent_at,
            "Aftercare receipt",
            message.subject or message.get_kind_display(),
            "Aftercare instructions sent by email",
            url,
        )
    status = message.get_status_display().lower()
    if message.delivery:
        status += f", {message.get_delivery_display().lower()}"
    return TimelineEvent(
        message.sent_at or message.due_at,
        "Text message" if message.channel == "sms" else "Message",
        f"{message.get_kind_display()}: {status}",
        message.last_error,
        url,
    )


def messages_visible_to(user, messages: QuerySet) -> QuerySet:
    """Booking roles see the messages about bookings; only clinical roles see the
    ones that quote the health or treatment record (CLINICAL_MESSAGE_KINDS)."""
    if not can(user, Capability.BOOKING):
        return messages.none()
    if can(user, Capability.CLINICAL):
        return messages
    return messages.exclude(kind__in=CLINICAL_MESSAGE_KINDS)


def outbox_for_user(user, *, status: str = "") -> QuerySet:
    """Messages staff watch: failed first, then what is due soonest."""
    found = messages_visible_to(
        user,
        OutboundMessage.objects.select_related("client", "appointment__service"),
    )
    if status:
        return found.filter(status=status).order_by("-due_at")
    return found.filter(status__in=["failed", "pending", "sending"]).order_by(
        Case(When(status="failed", then=0), default=1), "due_at"
    )


def message_get_for_user(user, pk: int) -> OutboundMessage:
    if not can(user, Capability.BOOKING):
        raise Http404("No such message.")
    # A clinical message is 404 to the front desk, like a record they may not see.
    message = get_object_or_404(
        messages_visible_to(
            user,
            OutboundMessage.objects.select_related(
                "client",
                "appointment__service",
                "appointment__location",
                "appointment__practitioner__user",
            ),
        ),
        pk=pk,
    )
    refuse_erased(user, message.client, "No such message.")
    return message


MESSAGE_SETTINGS_KEY = "messaging:settings:v1"


def message_settings() -> MessageSettings:
    """The clinic's message timing; a new clinic starts from the MESSAGE_* and
    RECALL_* settings. Read through the cache: every booking asks for it, a manager
    changes it rarely, and each save or delete forgets it (message_settings_forget)."""
    return read_through(
        MESSAGE_SETTINGS_KEY, _message_settings_load, settings.AUTH_CACHE_SECONDS
    )


def _message_settings_load() -> MessageSettings:
    current, _ = MessageSettings.objects.get_or_create(
        pk=1,
        defaults={
            "reminder_hours": ", ".join(map(str, settings.MESSAGE_REMINDER_HOURS)),
            "preparation_hours": settings.MESSAGE_PREPARATION_HOURS,
            "minoxidil_pause_days": settings.MESSAGE_MINOXIDIL_PAUSE_DAYS,
            "course_nudge_days": settings.COURSE_NUDGE_DAYS,
            "permanent_check_months": ", ".join(
                map(str, settings.RECALL_PERMANENT_CHECK_MONTHS)
            ),
            "permanent_touch_up_months": ", ".join(
                map(str, settings.RECALL_PERMANENT_TOUCH_UP_MONTHS)
            ),
            "temporary_fade_check_months": ", ".join(
                map(str, settings.RECALL_TEMPORARY_FADE_CHECK_MONTHS)
            ),
        },
    )
    return current


def message_settings_forget(**_signal) -> None:
    """post_save / post_delete of MessageSettings (the set-up page, the admin): the
    next read, and again any after the change commits, loads it afresh."""
    invalidate_on_commit([MESSAGE_SETTINGS_KEY])


@dataclass(frozen=True)
class ClinicText:
    key: str
    label: str
    subject: str
    body: str
    is_default: bool
    # The text message ("" where this kind goes by email only).
    sms: str = ""


def message_texts() -> dict[str, ClinicText]:
    """Every email text: the clinic's own where it wrote one, else the default."""
    own = {text.key: text for text in MessageText.objects.all()}
    return {
        key: ClinicText(
            key=key,
            label=kind.label,
            subject=own[key].subject if key in own else kind.subject,
            body=own[key].body if key in own else kind.body,
            is_default=key not in own,
            sms=(own[key].sms if key in own else "") or texts.SMS_TEXTS.get(key, ""),
        )
        for key, kind in texts.TEXTS.items()
    }


def client_timeline_events(user, client) -> list[TimelineEvent]:
    """Messages sent to the client on their timeline, as the user's role may see them
    (a source of clients.selectors)."""
    return [
        _message_event(m)
        for m in messages_visible_to(user, client.messages.exclude(status="pending"))
    ]


def client_messages(*, client, pk: int | None = None) -> list[ClientMessage]:
    """clients.hooks.client_messages: the client's own emails, for the portal."""
    from messaging.outbox import build_email, build_sms

    messages = OutboundMessage.objects.filter(client=client).select_related(
        "client", "appointment__service", "appointment__location", "plan", "lot"
    )
    if pk is not None:
        message = messages.filter(pk=pk, status=MessageStatus.SENT).first()
        if message is None:
            return []
        if message.channel == "sms":
            return [_client_message(message, text=message.body)]
        if message.channel == Channel.SMS:
            return [_client_message(message, text=build_sms(message))]
        return [_client_message(message, text=build_email(message).body)]
    shown = messages.filter(
        Q(status=MessageStatus.SENT)
        | Q(status=MessageStatus.PENDING, kind=MessageKind.AFTERCARE)
    ).order_by("-due_at", "-pk")[:200]
    return [_client_message(message) for message in shown]


def _client_message(message: OutboundMessage, text: str = "") -> ClientMessage:
    return ClientMessage(
        pk=message.pk,
        label=message.get_kind_display()
        + (" (text message)" if message.channel == "sms" else ""),
        subject=message.subject or message.get_kind_display(),
        sent_at=message.sent_at if message.status == MessageStatus.SENT else None,
        due_at=message.due_at,
        is_aftercare=message.kind == MessageKind.AFTERCARE,
        appointment_id=message.appointment_id,
        text=text,
    )


# A text from a number no client has, or from a client not erased.
_NOT_ERASED = Q(client__isnull=True) | Q(client__erased_at__isnull=True)


def replies_for_user(user, *, handled: bool = False) -> QuerySet:
    """Texts clients sent that were not a keyword, for the roles that handle client
    contact: waiting for an answer, or (handled) answered."""
    if not can(user, Capability.BOOKING):
        return InboundMessage.objects.none()
    found = InboundMessage.objects.filter(
        _NOT_ERASED,
        action=InboundMessage.Action.REPLY,
        handled_at__isnull=not handled,
    )
    return found.select_related("client", "handled_by").order_by("-received_at", "-pk")


def reply_get_for_user(user, pk: int) -> InboundMessage:
    if not can(user, Capability.BOOKING):
        raise Http404("No such reply.")
    return get_object_or_404(
        InboundMessage.objects.filter(
            _NOT_ERASED, action=InboundMessage.Action.REPLY
        ).select_related("client"),
        pk=pk,
    )
