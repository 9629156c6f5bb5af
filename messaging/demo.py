from datetime import date, datetime, time, timedelta

from django.utils import timezone

from appointments.models import Appointment
from messaging.models import MessageKind, MessageStatus, OutboundMessage
from messaging.outbox import appointment_message_key


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
