from datetime import date, datetime, time, timedelta

from django.utils import timezone

from appointments.models import Appointment
from clients.models import Client
from messaging.models import Channel, MessageKind, MessageStatus, OutboundMessage
from messaging.outbox import SMS_KEY_SUFFIX, appointment_message_key


def seed_message_history(*, count: int, today: date, batch_size: int = 5000) -> None:
    """The outbox's past: a confirmation and a day-before reminder for the most
    recent past appointments, sent (the reminder of a cancelled one was not)."""
    before = timezone.make_aware(datetime.combine(today, time(0)))
    past = Appointment.objects.filter(starts_at__lt=before).order_by(
        "-starts_at", "-pk"
    )
    rows = past.values_list("pk", "client_id", "starts_at", "status")[: count // 2 + 1]
    messages = []
    written = 0
    for pk, client_id, starts_at, status in rows:
        if len(messages) >= batch_size:
            OutboundMessage.objects.bulk_create(messages)
            written += len(messages)
            messages = []
        booked_at = starts_at - timedelta(days=14)
        reminder_at = starts_at - timedelta(hours=24)
        messages.append(
            OutboundMessage(
                client_id=client_id,
                appointment_id=pk,
                kind=MessageKind.CONFIRMATION,
                for_starts_at=starts_at,
                due_at=booked_at,
                sent_at=booked_at,
                status=MessageStatus.SENT,
                attempts=1,
                subject="Your appointment is booked",
                dedupe_key=appointment_message_key(
                    pk, starts_at, MessageKind.CONFIRMATION, "-0"
                ),
            )
        )
        cancelled = status == "cancelled"
        messages.append(
            OutboundMessage(
                client_id=client_id,
                appointment_id=pk,
                kind=MessageKind.REMINDER,
                for_starts_at=starts_at,
                due_at=reminder_at,
                sent_at=None if cancelled else reminder_at,
                status=MessageStatus.CANCELLED if cancelled else MessageStatus.SENT,
                attempts=0 if cancelled else 1,
                subject="" if cancelled else "Reminder: your appointment tomorrow",
                last_error="The appointment is cancelled." if cancelled else "",
                dedupe_key=appointment_message_key(
                    pk, starts_at, MessageKind.REMINDER, "-24h"
                ),
            )
        )
    OutboundMessage.objects.bulk_create(messages[: count - written])


# A few texts clients sent the clinic, for the front desk's Replies (and one of each
# keyword, which acts by itself). Through the webhook's own service.
DEMO_TEXTS = (
    "Can I bring my partner along to the appointment?",
    "Running 10 minutes late, sorry!",
    "Is it OK to wash my head the morning before?",
)


def seed_replies(*, now: datetime) -> int:
    """Texts from clients who prefer texts waiting in Replies, and one from a number
    no client has. Returns how many wait."""
    from messaging.services import inbound_sms_receive

    senders = list(
        Client.objects.filter(preferred_contact="sms", erased_at__isnull=True)
        .exclude(phone="")
        .order_by("pk")[: len(DEMO_TEXTS)]
    )
    texts = [
        (client.phone, body) for client, body in zip(senders, DEMO_TEXTS, strict=False)
    ]
    texts.append(("+447700900999", "Hi, do you do eyebrows too?"))
    for n, (phone, body) in enumerate(texts):
        inbound_sms_receive(
            provider_id=f"SMdemo{n:026d}",
            from_phone=phone,
            body=body,
            now=now - timedelta(minutes=20 * (len(texts) - n)),
        )
    return len(texts)


def seed_due_sms_reminders(*, now: datetime, limit: int = 6) -> int:
    """The demo starts as if its bookings had been made days ago: the reminders of
    the next appointments (within 48 hours) of clients who prefer texts, which were
    skipped as past when the demo booked them, are due now under their real keys,
    so the first sweep writes them to var/sms/."""
    upcoming = Appointment.objects.filter(
        status__in=("booked", "confirmed"),
        starts_at__gt=now,
        starts_at__lte=now + timedelta(hours=48),
        client__preferred_contact="sms",
    ).order_by("starts_at", "pk")[:limit]
    messages = [
        OutboundMessage(
            client_id=appointment.client_id,
            appointment_id=appointment.pk,
            kind=MessageKind.REMINDER,
            channel=Channel.SMS,
            for_starts_at=appointment.starts_at,
            due_at=now,
            # The reminder whose moment had passed when the demo booked it.
            dedupe_key=appointment_message_key(
                appointment.pk,
                appointment.starts_at,
                MessageKind.REMINDER,
                "-24h"
                if appointment.starts_at <= now + timedelta(hours=24)
                else "-48h",
            )
            + SMS_KEY_SUFFIX,
        )
        for appointment in upcoming
    ]
    OutboundMessage.objects.bulk_create(messages, ignore_conflicts=True)
    return len(messages)
