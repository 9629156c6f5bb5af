"""The clinic's pigment stock: products and their lots. Below clients: a patch test
(clients) and a session record (treatments) both record lots on skin.

The tables keep the names they had in the treatments app (db_table), so moving the
models here moved no row (migrations treatments 0008 and pigments 0001)."""

from datetime import date, timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class Pigment(models.Model):
    """A pigment product: brand and shade. Its batches are PigmentLots."""

    brand = models.CharField(max_length=100)
    shade = models.CharField(max_length=100)
    # The label data EU REACH Annex XVII entry 75 puts on every bottle; shown to the
    # client before the procedure and in their ink passport.
    ingredients = models.TextField(blank=True)
    warnings = models.TextField(blank=True)
    shelf_life_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Days a bottle may be used once opened (from the label); "
        "empty when the label gives none.",
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        db_table = "treatments_pigment"
        ordering = ["brand", "shade"]
        constraints = [
            models.UniqueConstraint(fields=["brand", "shade"], name="pigment_unique")
        ]

    def __str__(self):
        return f"{self.brand} {self.shade}"


class LotStatus(models.TextChoices):
    IN_USE = "in_use", "In use"
    QUARANTINED = "quarantined", "Quarantined"
    RECALLED = "recalled", "Recalled"


class PigmentLot(models.Model):
    Status = LotStatus

    pigment = models.ForeignKey(Pigment, on_delete=models.PROTECT, related_name="lots")
    lot_number = models.CharField(max_length=64)
    expires_on = models.DateField()
    opened_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # A quarantined or recalled lot is refused for sessions and patch tests from the
    # moment it is set; who set it, when and why stay on the row (and in the audit).
    status = models.CharField(
        max_length=12, choices=LotStatus.choices, default=LotStatus.IN_USE
    )
    status_reason = models.CharField(max_length=300, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        db_table = "treatments_pigmentlot"
        ordering = ["pigment", "-expires_on", "lot_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["pigment", "lot_number"], name="pigment_lot_unique"
            ),
            models.CheckConstraint(
                condition=Q(opened_on__isnull=True) | Q(opened_on__lte=F("expires_on")),
                name="pigment_lot_opened_before_expiry",
            ),
            models.CheckConstraint(
                condition=Q(status__in=LotStatus.values), name="pigment_lot_status"
            ),
            models.CheckConstraint(
                condition=Q(status="in_use")
                | (~Q(status_reason="") & Q(status_changed_at__isnull=False)),
                name="pigment_lot_status_has_reason",
                violation_error_message="Say why the lot is quarantined or recalled.",
            ),
        ]
        indexes = [models.Index(fields=["lot_number"], name="pigment_lot_number")]

    def __str__(self):
        return f"{self.pigment} lot {self.lot_number}"

    def is_expired(self, on: date) -> bool:
        return self.expires_on < on

    def use_by(self) -> date:
        """The last day the lot may be used: its expiry, or sooner the day its
        opened bottle reaches the pigment's shelf life after opening."""
        shelf_life = self.pigment.shelf_life_days
        if self.opened_on is None or shelf_life is None:
            return self.expires_on
        return min(self.expires_on, self.opened_on + timedelta(days=shelf_life))

    def unusable_reason(self, on: date) -> str:
        """Why the lot may not go on skin on `on` ("" when it may)."""
        if self.status != LotStatus.IN_USE:
            return f"{self.get_status_display().lower()}: {self.status_reason}"
        if self.is_expired(on):
            return f"expired {self.expires_on:%d %b %Y}"
        if self.use_by() < on:
            return (
                f"opened {self.opened_on:%d %b %Y}, past its "
                f"{self.pigment.shelf_life_days}-day shelf life after opening"
            )
        return ""
