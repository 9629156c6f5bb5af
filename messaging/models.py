"""The outbox's tables: every message a client gets is a row here first; the
clinic's message settings, texts and aftercare sequence; used signed links.

The tables keep the names they had in the clients app (db_table), so moving the
models here moved no row (migrations clients 0017 and messaging 0001)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from clients.models import Client
from core.validators import (
    number_list,
    recall_months_validate,
    reminder_hours_validate,
)
from messaging.texts import TEXTS, TextError, placeholders_check


class MessageKind(models.TextChoices):
    CONFIRMATION = "confirmation", "Booking confirmation"
    MOVED = "moved", "Appointment moved"
    CANCELLED = "cancelled", "Appointment cancelled by the clinic"
    CANCELLED_BY_CLIENT = "cancelled_by_client", "Appointment cancelled by the client"
    COURSE_CONFIRMATION = "course_confirmation", "Course booking confirmation"
    PREPARATION = "preparation", "Preparation before a treatment"
    REMINDER = "reminder", "Appointment reminder"
    AFTERCARE = "aftercare", "Aftercare"
    COURSE_NUDGE = "course_nudge", "Next course session to book"
    FADE_CHECK = "fade_check", "Fade check recall"
    TOUCH_UP = "touch_up", "Touch-up recall"
    INK_PASSPORT = "ink_passport", "Ink passport"
    LOT_RECALL = "lot_recall", "Pigment lot recall notice"
    WAITLIST_OFFER = "waitlist_offer", "Waitlist: a time offered"
    WAITLIST_GONE = "waitlist_gone", "Waitlist: the time has gone"
    REPLY = "reply", "Reply from the front desk"
    DEPOSIT_REQUEST = "deposit_request", "Deposit request"
    DOCUMENT = "document", "Receipt or invoice"


# Messages that quote the health or treatment record (pigments, lots and dilutions
# used on the client; aftercare for the session just done; what to do before a
# treatment): like the record itself, for clinical roles only (issue 17). The front
# desk sees the rest.
CLINICAL_MESSAGE_KINDS = frozenset(
    {
        MessageKind.INK_PASSPORT,
        MessageKind.LOT_RECALL,
        MessageKind.AFTERCARE,
        MessageKind.PREPARATION,
    }
)


class AftercareStep(models.Model):
    """One email of the clinic's aftercare sequence, sent this many days after a
    treatment session is completed (day 0: the same day)."""

    day_offset = models.PositiveSmallIntegerField(
        help_text="Days after the session; 0 sends it when the session is completed."
    )

    class After(models.TextChoices):
        EVERY_SESSION = "every", "Every session"
        FINAL_SESSION = "final", "The final session of a course only"

    after = models.CharField(
        "Send after",
        max_length=5,
        choices=After.choices,
        default=After.EVERY_SESSION,
        help_text="A “healed” message belongs after the final session only: a "
        "later session restarts the healing.",
    )
    subject = models.CharField(max_length=150)
    body = models.TextField(help_text="Plain text; the client's name goes above it.")
    is_active = models.BooleanField(default=True)

    class Meta:
        db_table = "clients_aftercarestep"
        ordering = ["day_offset", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(after__in=["every", "final"]), name="aftercare_after_valid"
            )
        ]

    def __str__(self):
        return f"Day {self.day_offset}: {self.subject}"


class MessageSettings(models.Model):
    """When the clinic's messages go. One row; a new clinic starts from the
    MESSAGE_* and RECALL_* settings, and managers change it in the app."""

    reminder_hours = models.CharField(
        max_length=60,
        blank=True,
        validators=[reminder_hours_validate],
        help_text="Hours before an appointment, separated by commas (e.g. 48, 24). "
        "Empty sends no reminders.",
    )
    preparation_hours = models.PositiveSmallIntegerField(
        validators=[MaxValueValidator(14 * 24)],
        help_text="Hours before a treatment session that the preparation note goes "
        "(shaving, no alcohol or blood thinners). 0 sends none.",
    )
    minoxidil_pause_days = models.PositiveSmallIntegerField(
        "Pause minoxidil (days)",
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text="Days before and after a session that the preparation note asks "
        "the client to pause topical minoxidil ({minoxidil_days} in its text).",
    )
    course_nudge_days = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text="Days after a course session that a client whose next session is "
        "still unbooked is reminded to book it.",
    )
    permanent_check_months = models.CharField(
        "Permanent SMP: check-up after (months)",
        max_length=60,
        blank=True,
        validators=[recall_months_validate],
        help_text="Months after the last session, separated by commas.",
    )
    permanent_touch_up_months = models.CharField(
        "Permanent SMP: touch-up after (months)",
        max_length=60,
        blank=True,
        validators=[recall_months_validate],
    )
    temporary_fade_check_months = models.CharField(
        "Temporary SMP: fade checks after (months)",
        max_length=60,
        blank=True,
        validators=[recall_months_validate],
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        db_table = "clients_messagesettings"
        verbose_name_plural = "message settings"
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="message_settings_one_row")
        ]

    def __str__(self):
        return "Message settings"

    @property
    def reminder_hour_list(self) -> list[int]:
        return number_list(self.reminder_hours, low=1, high=14 * 24, unit="hours")

    def months(self, field: str) -> list[int]:
        return number_list(getattr(self, field), low=1, high=120, unit="months")


class MessageText(models.Model):
    """The clinic's words in one kind of email (see messaging/texts.py)."""

    key = models.CharField(
        max_length=30, unique=True, choices=[(k, t.label) for k, t in TEXTS.items()]
    )
    subject = models.CharField(
        max_length=150, help_text="The clinic's name is added after it."
    )
    body = models.TextField(
        help_text="Plain text after “Hello Jo,”. When, where and the links "
        "to confirm or cancel are added below it."
    )
    sms = models.TextField(
        "Text message",
        blank=True,
        help_text="The text message of this kind (empty: the default words).",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "clients_messagetext"
        ordering = ["key"]

    def __str__(self):
        return self.get_key_display()

    def clean(self):
        kind = TEXTS.get(self.key)
        if kind is None:
            return
        errors = {}
        for field in ("subject", "body", "sms"):
            try:
                placeholders_check(getattr(self, field), kind.placeholders)
            except TextError as error:
                errors[field] = str(error)
        if errors:
            raise ValidationError(errors)


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "Text message"


class Delivery(models.TextChoices):
    """What the SMS provider last said about a text (its status callbacks)."""

    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent to the carrier"
    DELIVERED = "delivered", "Delivered"
    UNDELIVERED = "undelivered", "Not delivered"
    FAILED = "failed", "Failed"


class MessageStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class OutboundMessage(models.Model):
    """The outbox: every email and text message a client gets is a row here first.

    A domain change writes its future messages in its own transaction; the sweep
    (messaging.outbox.messages_send_due) claims due rows, re-checks that they still
    apply, sends and records the result. The dedupe key makes writing a message twice
    a no-op.
    """

    Kind = MessageKind
    Status = MessageStatus
    Channel = Channel

    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="messages"
    )
    kind = models.CharField(max_length=20, choices=MessageKind.choices)
    # An SMS twin's dedupe key is the email's with ":sms" added: one of each at most.
    channel = models.CharField(
        max_length=5, choices=Channel.choices, default=Channel.EMAIL
    )
    appointment = models.ForeignKey(
        "appointments.Appointment",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="messages",
    )
    aftercare_step = models.ForeignKey(
        AftercareStep, null=True, blank=True, on_delete=models.SET_NULL
    )
    # Course nudges and recalls belong to a treatment plan.
    plan = models.ForeignKey(
        "treatments.TreatmentPlan",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="messages",
    )
    waitlist_offer = models.ForeignKey(
        "appointments.WaitlistOffer",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="messages",
    )
    # A lot recall notice names the pigment lot it is about.
    lot = models.ForeignKey(
        "pigments.PigmentLot",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="messages",
    )
    # For an appointment's messages: the start it was written for. A message whose
    # appointment has moved since no longer applies.
    # A receipt or invoice (payments.Document, a sibling app: an id, not a foreign
    # key) whose PDF is drawn when the email is sent (messaging/hooks.py).
    document_id = models.PositiveBigIntegerField(null=True, blank=True)
    for_starts_at = models.DateTimeField(null=True, blank=True)
    # A "moved" email: the start the client was told before (struck in the email).
    previous_starts_at = models.DateTimeField(null=True, blank=True, editable=False)
    due_at = models.DateTimeField()
    dedupe_key = models.CharField(max_length=200, unique=True)
    status = models.CharField(
        max_length=10, choices=MessageStatus.choices, default=MessageStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    claim = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    subject = models.CharField(max_length=200, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    # A text message: what was sent, the provider's id for it (its status callbacks
    # name it) and what the provider last said.
    body = models.TextField(blank=True)
    provider_id = models.CharField(max_length=64, blank=True, db_index=True)
    delivery = models.CharField(max_length=12, choices=Delivery.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "clients_outboundmessage"
        ordering = ["-due_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "due_at"], name="message_due"),
            models.Index(fields=["client", "-due_at"], name="message_client"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=MessageStatus.values),
                name="message_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
                name="message_sent_has_time",
            ),
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="message_channel_valid"
            ),
            models.CheckConstraint(
                condition=Q(delivery__in=["", *Delivery.values]),
                name="message_delivery_valid",
            ),
        ]

    def __str__(self):
        return (
            f"{self.get_kind_display()} to {self.client} due {self.due_at:%d %b %H:%M}"
        )


class UsedLink(models.Model):
    """A signed email link that has acted: each works once."""

    digest = models.CharField(max_length=64, unique=True)
    used_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "clients_usedlink"

    def __str__(self):
        return f"Link used {self.used_at:%d %b %Y %H:%M}"


class InboundMessage(models.Model):
    """A text message a client (or anyone) sent the clinic's number, through the
    provider's webhook. Keyed by the provider's id: one delivered twice is applied
    once."""

    class Action(models.TextChoices):
        CONFIRMED = "confirmed", "Confirmed the next appointment"
        OPTED_OUT = "opted_out", "Opted out of text messages"
        OPTED_IN = "opted_in", "Opted back in to text messages"
        REPLY = "reply", "Reply for the front desk"

    provider_id = models.CharField(max_length=64, unique=True)
    from_phone = models.CharField(max_length=32)
    body = models.TextField(blank=True)
    # The client whose phone it came from (the first of several sharing a number).
    client = models.ForeignKey(
        Client,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="inbound_messages",
    )
    action = models.CharField(max_length=10, choices=Action.choices)
    appointment = models.ForeignKey(
        "appointments.Appointment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    received_at = models.DateTimeField()
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-received_at", "-pk"]
        indexes = [
            models.Index(fields=["action", "handled_at"], name="inbound_open_replies")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=["confirmed", "opted_out", "opted_in", "reply"]),
                name="inbound_action_valid",
            )
        ]

    def __str__(self):
        return f"Text from {self.from_phone} at {self.received_at:%d %b %H:%M}"
