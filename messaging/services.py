import hashlib
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from appointments import services as booking
from appointments.models import Appointment
from clients.models import Client
from clients.phones import normalise_phone
from messaging import outbox
from messaging.models import (
    Channel,
    Delivery,
    InboundMessage,
    MessageKind,
    MessageText,
    OutboundMessage,
)


@transaction.atomic
def message_settings_update(*, form, by, apply_to_booked: bool) -> int:
    """Save the clinic's message timing; with apply_to_booked, re-plan the reminders
    of every appointment still to come. Returns how many appointments it re-planned."""
    timing = form.save(commit=False)
    timing.updated_by = by
    timing.full_clean()
    timing.save()
    if not apply_to_booked:
        return 0
    return outbox.appointment_reminders_refresh()


@transaction.atomic
def message_text_save(
    *, key: str, subject: str, body: str, sms: str | None = None
) -> MessageText:
    """The clinic's own words for one kind of email and its text message (unsent
    messages use them too). sms=None keeps the text message as it is."""
    text = MessageText.objects.filter(key=key).first() or MessageText(key=key)
    text.subject = subject
    text.body = body
    if sms is not None:
        text.sms = sms
    text.full_clean()
    text.save()
    return text


@transaction.atomic
def message_text_reset(*, key: str) -> None:
    """Back to the default words for this kind of email."""
    MessageText.objects.filter(key=key).delete()


# Replies carriers require us to honour (CTIA, Ofcom): any of these ends every text.
STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"}
START_WORDS = {"START", "UNSTOP"}
CONFIRM_WORDS = {"C", "YES"}


def _keyword(body: str) -> str:
    return body.strip().strip(".!").upper()


@transaction.atomic
def inbound_sms_receive(
    *, provider_id: str, from_phone: str, body: str, now: datetime | None = None
) -> InboundMessage | None:
    """Apply a text someone sent the clinic: C or YES confirms the sender's next
    appointment; STOP (and its synonyms) opts the number out of every text, START
    back in; anything else waits in the front desk's Replies. The provider's id
    makes a second delivery of the same text a no-op (returns None)."""
    now = now or timezone.now()
    try:
        phone = normalise_phone(from_phone)
    except ValidationError:
        phone = from_phone.strip()[:32]
    senders = Client.objects.filter(phone=phone, erased_at__isnull=True).order_by("pk")
    inbound = InboundMessage(
        provider_id=provider_id,
        from_phone=phone,
        body=body[:1600],
        client=senders.first(),
        action=InboundMessage.Action.REPLY,
        received_at=now,
    )
    try:
        with transaction.atomic():
            inbound.save()
    except IntegrityError:
        return None
    word = _keyword(body)
    if word in STOP_WORDS:
        Client.objects.filter(phone=phone).update(sms_opt_out=True)
        inbound.action = InboundMessage.Action.OPTED_OUT
    elif word in START_WORDS:
        Client.objects.filter(phone=phone).update(sms_opt_out=False)
        inbound.action = InboundMessage.Action.OPTED_IN
    elif word in CONFIRM_WORDS:
        upcoming = (
            Appointment.objects.filter(
                client__in=senders,
                status=Appointment.Status.BOOKED,
                starts_at__gt=now,
            )
            .order_by("starts_at")
            .first()
        )
        if upcoming is not None:
            booking.appointment_confirm(appointment=upcoming)
            inbound.action = InboundMessage.Action.CONFIRMED
            inbound.appointment = upcoming
            inbound.handled_at = now
    inbound.save(update_fields=["action", "appointment", "handled_at"])
    return inbound


# How far each provider status is along; a callback that arrives late never moves
# a text back (Twilio does not promise their order).
DELIVERY_RANK = {
    Delivery.QUEUED: 0,
    Delivery.SENT: 1,
    Delivery.DELIVERED: 2,
    Delivery.UNDELIVERED: 2,
    Delivery.FAILED: 2,
}
# Carrier errors that mean the number cannot take texts (a landline, unknown).
UNREACHABLE_ERRORS = {"30003", "30005", "30006"}


@transaction.atomic
def sms_delivery_update(*, provider_id: str, status: str, error_code: str = "") -> bool:
    """A delivery status callback: record what the provider says about a text.
    Returns whether a text of ours has that id."""
    message = (
        OutboundMessage.objects.select_for_update()
        .filter(provider_id=provider_id, channel=Channel.SMS)
        .first()
    )
    if message is None:
        return False
    if status not in DELIVERY_RANK:
        return True
    if message.delivery and DELIVERY_RANK[status] < DELIVERY_RANK[message.delivery]:
        return True
    fields = {"delivery": status}
    if status in (Delivery.FAILED, Delivery.UNDELIVERED):
        code = error_code if error_code.isdigit() else "unknown"
        fields["last_error"] = f"The carrier did not deliver it (error {code})."
        if code in UNREACHABLE_ERRORS:
            Client.objects.filter(pk=message.client_id).update(sms_unreachable=True)
        if message.kind in outbox.SMS_KINDS:
            # The client never got it: the news goes by email, if it still applies
            # when the sweep sends it (and once: the email's own dedupe key).
            outbox.email_twin_write(message, now=timezone.now())
            fields["last_error"] += " Sent by email instead."
    OutboundMessage.objects.filter(pk=message.pk).update(**fields)
    return True


REPLY_MAX_CHARACTERS = 640


@transaction.atomic
def inbound_reply_send(*, inbound: InboundMessage, text: str, by) -> OutboundMessage:
    """The front desk answers a reply by text, through the outbox; the reply is
    then handled. The same words sent twice (a double click) are one message."""
    text = text.strip()
    if not text:
        raise ValidationError("Write the reply first.")
    if len(text) > REPLY_MAX_CHARACTERS:
        raise ValidationError(
            f"A reply has at most {REPLY_MAX_CHARACTERS} characters (four texts)."
        )
    if inbound.client is None:
        raise ValidationError("This number is not a client's: call them instead.")
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    now = timezone.now()
    OutboundMessage.objects.bulk_create(
        [
            OutboundMessage(
                client=inbound.client,
                kind=MessageKind.REPLY,
                channel=Channel.SMS,
                due_at=now,
                body=text,
                dedupe_key=f"inbound:{inbound.pk}:reply:{digest}",
            )
        ],
        ignore_conflicts=True,
    )
    inbound_mark_handled(inbound=inbound, by=by)
    return OutboundMessage.objects.get(
        dedupe_key=f"inbound:{inbound.pk}:reply:{digest}"
    )


@transaction.atomic
def inbound_mark_handled(*, inbound: InboundMessage, by) -> None:
    InboundMessage.objects.filter(pk=inbound.pk, handled_at__isnull=True).update(
        handled_at=timezone.now(), handled_by=by
    )
