from django import forms

from appointments.forms import DateInput
from treatments.models import Pigment, PigmentLot


class PigmentForm(forms.ModelForm):
    class Meta:
        model = Pigment
        fields = ["brand", "shade", "ingredients", "warnings", "is_active"]
        widgets = {
            "ingredients": forms.Textarea(attrs={"rows": 3}),
            "warnings": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "ingredients": "As on the label (EU REACH entry 75): clients may ask to "
            "see it before treatment.",
        }


class PigmentLotForm(forms.ModelForm):
    class Meta:
        model = PigmentLot
        fields = ["pigment", "lot_number", "expires_on", "opened_on"]
        widgets = {"expires_on": DateInput(), "opened_on": DateInput()}
