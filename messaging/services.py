from django.db import transaction

from messaging import outbox
from messaging.models import MessageText


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
