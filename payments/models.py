"""The ledger: every payment, refund, deposit, forfeited deposit, discount and
write-off is a row that is never edited or deleted. A correction is a reversing row
(the same kind, the amount negated, `reverses` the row it cancels) with a reason.
Balances are sums of rows, never stored totals that could drift. On PostgreSQL a
trigger refuses UPDATE and DELETE (migration 0001), as it does for the audit trail.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.money import CURRENCY_CODES, Money, validate_currency


class EntryKind(models.TextChoices):
    DEPOSIT = "deposit", "Deposit"
    PAYMENT = "payment", "Payment"
    REFUND = "refund", "Refund"
    FORFEIT = "forfeit", "Forfeited deposit"
    DISCOUNT = "discount", "Discount"
    WRITE_OFF = "write_off", "Write-off"


# Money that changed hands: these name how.
MONEY_KINDS = (EntryKind.DEPOSIT, EntryKind.PAYMENT, EntryKind.REFUND)
# What the clinic forgoes or keeps without money moving: these give a reason.
REASONED_KINDS = (
    EntryKind.REFUND,
    EntryKind.FORFEIT,
    EntryKind.DISCOUNT,
    EntryKind.WRITE_OFF,
)


class Method(models.TextChoices):
    CARD_ONLINE = "card_online", "Card online"
    CARD_TERMINAL = "card_terminal", "Card terminal"
    CASH = "cash", "Cash"
    BANK_TRANSFER = "bank_transfer", "Bank transfer"
    # Deposits recorded on appointments before the ledger said nothing of how.
    UNRECORDED = "unrecorded", "Not recorded"


DESK_METHODS = (Method.CARD_TERMINAL, Method.CASH, Method.BANK_TRANSFER)


class LedgerEntry(models.Model):
    Kind = EntryKind
    Method = Method

    kind = models.CharField(max_length=10, choices=EntryKind.choices)
    # Minor units of `currency`; negative only on a reversing row.
    amount_minor = models.BigIntegerField("amount")
    currency = models.CharField(
        max_length=3, choices=CURRENCY_CODES, validators=[validate_currency]
    )
    method = models.CharField(max_length=14, choices=Method.choices, blank=True)
    provider_reference = models.CharField(
        max_length=200,
        blank=True,
        help_text="The card terminal's receipt number, a bank reference, Stripe's id.",
    )
    client = models.ForeignKey(
        "clients.Client", on_delete=models.PROTECT, related_name="ledger_entries"
    )
    appointment = models.ForeignKey(
        "appointments.Appointment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_entries",
    )
    plan = models.ForeignKey(
        "treatments.TreatmentPlan",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_entries",
    )
    location = models.ForeignKey(
        "appointments.Location", on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(max_length=300, blank=True)
    reverses = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty when recorded by the system (a card payment confirmed).",
    )
    recorded_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-recorded_at", "-pk"]
        verbose_name_plural = "ledger entries"
        indexes = [
            models.Index(fields=["client", "recorded_at"], name="ledger_client"),
            models.Index(fields=["location", "recorded_at"], name="ledger_location"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=EntryKind.values)
                & Q(method__in=[*Method.values, ""]),
                name="ledger_choices_valid",
            ),
            models.CheckConstraint(
                condition=Q(currency__regex=r"^[A-Z]{3}$"),
                name="ledger_currency_iso_4217",
            ),
            # An entry adds; only a reversal takes away, and always with a reason.
            models.CheckConstraint(
                condition=(Q(reverses__isnull=True) & Q(amount_minor__gt=0))
                | (Q(reverses__isnull=False) & Q(amount_minor__lt=0) & ~Q(reason="")),
                name="ledger_amount_sign",
                violation_error_message="An amount is above zero; a correction "
                "reverses an entry, with a reason.",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=MONEY_KINDS) | ~Q(method=""),
                name="ledger_money_has_method",
                violation_error_message="Say how the money was paid.",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=REASONED_KINDS) | ~Q(reason=""),
                name="ledger_reason_given",
                violation_error_message="A refund, forfeit, discount or write-off "
                "needs a reason.",
            ),
        ]

    def __str__(self):
        what = self.get_kind_display()
        if self.reverses_id:
            what = f"Reversal of {what.lower()}"
        return f"{what} {self.amount} ({self.recorded_at:%Y-%m-%d})"

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)

    @property
    def is_reversal(self) -> bool:
        return self.reverses_id is not None


class DocumentKind(models.TextChoices):
    RECEIPT = "receipt", "Receipt"
    INVOICE = "invoice", "Invoice"


class DocumentCounter(models.Model):
    """The last number a location gave a kind of document. Issuing locks this row
    (select_for_update) and raises it in the document's own transaction, so two
    issued at once wait in turn and a rolled-back one gives its number back: the
    sequence has no gap and no duplicate."""

    location = models.ForeignKey(
        "appointments.Location", on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=8, choices=DocumentKind.choices)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["location", "kind"], name="document_counter_per_location"
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.last_number} at {self.location_id}"


class Document(models.Model):
    """A receipt for a payment, or an invoice for an appointment or a course: what
    it said when issued (so a later price change does not rewrite it); its PDF is
    drawn from this row (payments/pdf.py)."""

    Kind = DocumentKind
    PREFIXES = {DocumentKind.RECEIPT: "R", DocumentKind.INVOICE: "INV"}

    kind = models.CharField(max_length=8, choices=DocumentKind.choices)
    location = models.ForeignKey(
        "appointments.Location", on_delete=models.PROTECT, related_name="+"
    )
    number = models.PositiveIntegerField()
    client = models.ForeignKey(
        "clients.Client", on_delete=models.PROTECT, related_name="documents"
    )
    entry = models.OneToOneField(
        LedgerEntry,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="receipt",
    )
    appointment = models.ForeignKey(
        "appointments.Appointment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="documents",
    )
    plan = models.ForeignKey(
        "treatments.TreatmentPlan",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="documents",
    )
    description = models.CharField(max_length=300)
    currency = models.CharField(
        max_length=3, choices=CURRENCY_CODES, validators=[validate_currency]
    )
    total_minor = models.BigIntegerField()
    tax_minor = models.BigIntegerField(default=0)
    tax_rate = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    issued_at = models.DateTimeField(default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["-issued_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["location", "kind", "number"], name="document_number_unique"
            ),
            models.CheckConstraint(
                condition=~Q(kind="receipt") | Q(entry__isnull=False),
                name="document_receipt_has_entry",
            ),
            models.UniqueConstraint(
                fields=["appointment"],
                condition=Q(kind="invoice", appointment__isnull=False),
                name="document_one_invoice_per_appointment",
            ),
            models.UniqueConstraint(
                fields=["plan"],
                condition=Q(
                    kind="invoice", plan__isnull=False, appointment__isnull=True
                ),
                name="document_one_invoice_per_course",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.reference}"

    @property
    def reference(self) -> str:
        """R-0001-000042: the kind, the location and the number in its sequence."""
        return f"{self.PREFIXES[self.kind]}-{self.location_id:04d}-{self.number:06d}"

    @property
    def total(self) -> Money:
        return Money(self.total_minor, self.currency)

    @property
    def tax(self) -> Money:
        return Money(self.tax_minor, self.currency)


class CardCheckout(models.Model):
    """One Stripe Checkout Session opened to pay an appointment's deposit by card:
    for an online booking held for it, or from the link the front desk emailed.
    Paid once: `entry` is the ledger's deposit row, set when Stripe says so."""

    appointment = models.ForeignKey(
        "appointments.Appointment", on_delete=models.PROTECT, related_name="+"
    )
    session_id = models.CharField(max_length=255, unique=True)
    # Stripe's page for it: pressing Pay again goes back there, not to a second one.
    url = models.URLField(max_length=2000, blank=True)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(
        max_length=3, choices=CURRENCY_CODES, validators=[validate_currency]
    )
    created_at = models.DateTimeField(default=timezone.now)
    entry = models.OneToOneField(
        LedgerEntry,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="card_checkout",
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_minor__gt=0), name="card_checkout_amount_positive"
            )
        ]

    def __str__(self):
        return f"Checkout {self.session_id} for appointment {self.appointment_id}"


class CardRefund(models.Model):
    """A refund asked of Stripe for a card payment (`paid`); the ledger's refund row
    (`entry`) is written once, when Stripe says it succeeded."""

    paid = models.ForeignKey(
        LedgerEntry, on_delete=models.PROTECT, related_name="card_refunds"
    )
    refund_id = models.CharField(max_length=255, unique=True)
    amount_minor = models.BigIntegerField()
    reason = models.CharField(max_length=300)
    status = models.CharField(max_length=30)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    entry = models.OneToOneField(
        LedgerEntry,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="card_refund",
    )

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_minor__gt=0), name="card_refund_amount_positive"
            )
        ]

    def __str__(self):
        return f"Refund {self.refund_id} ({self.status})"

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.paid.currency)


class StripeEvent(models.Model):
    """A Stripe event applied: its id is unique, so a replay or a second delivery
    at the same time (which waits on this row's insert) changes nothing."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at", "-pk"]

    def __str__(self):
        return f"{self.type} {self.event_id}"
