from datetime import date

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
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["brand", "shade"]
        constraints = [
            models.UniqueConstraint(fields=["brand", "shade"], name="pigment_unique")
        ]

    def __str__(self):
        return f"{self.brand} {self.shade}"


class PigmentLot(models.Model):
    pigment = models.ForeignKey(Pigment, on_delete=models.PROTECT, related_name="lots")
    lot_number = models.CharField(max_length=64)
    expires_on = models.DateField()
    opened_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pigment", "-expires_on", "lot_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["pigment", "lot_number"], name="pigment_lot_unique"
            ),
            models.CheckConstraint(
                condition=Q(opened_on__isnull=True) | Q(opened_on__lte=F("expires_on")),
                name="pigment_lot_opened_before_expiry",
            ),
        ]
        indexes = [models.Index(fields=["lot_number"], name="pigment_lot_number")]

    def __str__(self):
        return f"{self.pigment} lot {self.lot_number}"

    def is_expired(self, on: date) -> bool:
        return self.expires_on < on
