"""Lot pickers for the forms that record pigment on skin (a patch test, a session)."""

from django import forms

from core.forms import RecordsField
from pigments.models import PigmentLot


class LotChoices:
    """A lot picker over the lots `pigments.selectors.lots_for_picker` let through; an
    already-recorded lot that would be refused now is marked with why."""

    def __init__(self, *, lots, **kwargs):
        self.marks = {lot.pk: lot.unusable for lot in lots}
        super().__init__(
            queryset=PigmentLot.objects.filter(pk__in=self.marks).select_related(
                "pigment"
            ),
            **kwargs,
        )

    def label_from_instance(self, lot):
        label = f"{lot.pigment} lot {lot.lot_number}"
        mark = self.marks.get(lot.pk)
        return f"{label}: already recorded; now {mark}" if mark else label


class LotField(LotChoices, forms.ModelChoiceField):
    pass


class LotsField(LotChoices, RecordsField):
    pass
