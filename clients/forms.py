from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from clients.models import (
    FITZPATRICK_TYPES,
    STAGES,
    Client,
    ConsentText,
    Contraindication,
    Intake,
    PatchTest,
    Recommendation,
    Scale,
    TreatmentGates,
)
from clients.phones import normalise_phone
from clients.services import CLIENT_FIELDS
from clients.suitability import DEFAULT_SEVERITY
from core import date_input
from core.form_mixins import LineEndingsMixin
from core.forms import DateInput
from pigments.forms import LotsField
from pigments.selectors import lots_for_picker


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class ClientForm(LineEndingsMixin, forms.ModelForm):
    class Meta:
        formfield_callback = date_input.model_formfield
        model = Client
        fields = [*CLIENT_FIELDS, "email_opt_out"]
        widgets = {
            "date_of_birth": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        }
        help_texts = {
            "phone": "With the country code if not from "
            f"{settings.PHONE_DEFAULT_REGION}, e.g. +1 212 555 0100."
        }

    def clean_phone(self):
        return normalise_phone(self.cleaned_data["phone"])

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("preferred_contact") == "email" and not cleaned.get("email"):
            self.add_error("email", "Add an email address, or prefer another contact.")
        if cleaned.get("preferred_contact") in ("phone", "sms") and not cleaned.get(
            "phone"
        ):
            self.add_error("phone", "Add a phone number, or prefer email.")
        return cleaned


class NewClientForm(ClientForm):
    different_person = forms.BooleanField(
        required=False,
        label="This is a different person: create a new record anyway",
    )


# Intake sections: each saves on its own.


class HairLossForm(LineEndingsMixin, forms.ModelForm):
    title = "Hair loss"

    class Meta:
        formfield_callback = date_input.model_formfield
        model = Intake
        fields = [
            "hair_loss_cause",
            "alopecia_active",
            "transplant",
            "transplant_on",
            "chemotherapy_ended_on",
            "hair_loss_notes",
        ]
        widgets = {
            "transplant_on": DateInput(),
            "chemotherapy_ended_on": DateInput(),
            "hair_loss_notes": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {
            "transplant_on": "Transplant or scar surgery date",
            "chemotherapy_ended_on": "Chemotherapy ended on",
        }

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("transplant") and not cleaned.get("transplant_on"):
            self.add_error("transplant_on", "Give the date of the transplant.")
        return cleaned


STAGE_CHOICES = [
    (f"{scale}:{stage}", f"{Scale(scale).label} {stage}")
    for scale, stages in STAGES.items()
    for stage in stages
]


class ClassificationForm(LineEndingsMixin, forms.ModelForm):
    """The scale and stage, picked from one set of pictures ("norwood:III")."""

    title = "Classification"
    stage = forms.ChoiceField(
        choices=[("", "Not recorded"), *STAGE_CHOICES],
        widget=forms.RadioSelect,
        required=False,
    )

    class Meta:
        model = Intake
        fields = ["scale", "stage"]
        widgets = {"scale": forms.HiddenInput}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scale"].required = False
        if self.instance.scale and self.instance.stage:
            self.initial["stage"] = f"{self.instance.scale}:{self.instance.stage}"

    def clean(self):
        cleaned = super().clean()
        scale, _, stage = cleaned.get("stage", "").partition(":")
        cleaned["scale"], cleaned["stage"] = scale, stage
        return cleaned


class SkinHairForm(LineEndingsMixin, forms.ModelForm):
    title = "Skin and hair"

    class Meta:
        model = Intake
        fields = ["fitzpatrick", "hair_colour"]
        widgets = {
            "fitzpatrick": forms.Select(
                choices=[("", "Not recorded"), *FITZPATRICK_TYPES.items()]
            )
        }


class HealthForm(LineEndingsMixin, forms.ModelForm):
    title = "Health"
    pigment_reaction = forms.TypedChoiceField(
        label="Previous pigment or tattoo reactions",
        choices=[(False, "No"), (True, "Yes")],
        coerce=lambda value: value in (True, "True"),
        widget=forms.RadioSelect,
        help_text="Any reaction to a tattoo, permanent make-up or a patch test.",
    )

    class Meta:
        model = Intake
        fields = [
            "medical_history",
            "medications",
            "allergies",
            "pigment_reaction",
            "pigment_reactions",
        ]
        widgets = {
            name: forms.Textarea(attrs={"rows": 2})
            for name in (
                "medical_history",
                "medications",
                "allergies",
                "pigment_reactions",
            )
        }

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("pigment_reaction")
            and not cleaned.get("pigment_reactions", "").strip()
        ):
            self.add_error("pigment_reactions", "Say what the reaction was.")
        if cleaned.get("pigment_reaction") is False:
            cleaned["pigment_reactions"] = ""
        return cleaned


INTAKE_SECTIONS = {
    "hair-loss": HairLossForm,
    "classification": ClassificationForm,
    "skin-hair": SkinHairForm,
    "health": HealthForm,
}


ALLOWED_DOCUMENTS = {
    b"%PDF": "application/pdf",
    b"\xff\xd8\xff": "image/jpeg",
    b"\x89PNG\r\n\x1a\n": "image/png",
}


def validate_document(upload) -> None:
    """PDF, JPEG or PNG by their first bytes (not the name), within the size cap."""
    if upload.size > settings.DOCUMENT_MAX_BYTES:
        raise ValidationError(
            f"The file is over {settings.DOCUMENT_MAX_BYTES // (1024 * 1024)} MB."
        )
    head = upload.read(8)
    upload.seek(0)
    if not any(head.startswith(magic) for magic in ALLOWED_DOCUMENTS):
        raise ValidationError("Upload the clearance as a PDF, JPEG or PNG file.")


class ContraindicationForm(LineEndingsMixin, forms.ModelForm):
    class Meta:
        formfield_callback = date_input.model_formfield
        model = Contraindication
        fields = ["kind", "severity", "until", "notes", "clearance_document"]
        widgets = {"until": DateInput(), "notes": forms.Textarea(attrs={"rows": 2})}
        help_texts = {
            "severity": "Suggested from the kind; change it if the case differs."
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["severity"].required = False

    def clean_clearance_document(self):
        document = self.cleaned_data.get("clearance_document")
        if document and hasattr(document, "size"):
            validate_document(document)
        return document

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("severity") and cleaned.get("kind"):
            cleaned["severity"] = DEFAULT_SEVERITY[cleaned["kind"]]
            self.instance.severity = cleaned["severity"]
        return cleaned


class ClearanceForm(forms.Form):
    document = forms.FileField(
        label="Doctor's clearance", help_text="PDF, JPEG or PNG."
    )
    cleared_on = date_input.DateField(widget=DateInput(), label="Dated")

    def clean_document(self):
        document = self.cleaned_data["document"]
        validate_document(document)
        return document


class SuitabilityForm(LineEndingsMixin, forms.Form):
    decision = forms.ChoiceField(
        choices=Recommendation.choices, widget=forms.RadioSelect
    )
    defer_until = date_input.DateField(widget=DateInput(), required=False)
    override_reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        label="Reason (needed when deciding against the recommendation)",
    )

    def __init__(self, *args, recommended=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.recommended = recommended

    def clean(self):
        cleaned = super().clean()
        decision = cleaned.get("decision")
        if (
            decision
            and decision != self.recommended
            and not cleaned.get("override_reason", "").strip()
        ):
            self.add_error(
                "override_reason",
                "You are deciding against the recommendation: give the reason.",
            )
        return cleaned


class PatchTestForm(LineEndingsMixin, forms.Form):
    lots = forms.Field()  # a LotsField over the lots usable today, set in __init__
    applied_at = date_input.DateTimeField(widget=DateTimeInput(), label="Applied at")
    notes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Where applied"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lots"] = LotsField(
            lots=lots_for_picker(timezone.localdate()),
            widget=forms.CheckboxSelectMultiple,
            label="Pigment lots tested",
            help_text="Lots past their expiry or shelf life after opening, "
            "quarantined or recalled are not offered.",
        )


class PatchTestReadForm(LineEndingsMixin, forms.Form):
    result = forms.ChoiceField(
        choices=[
            (PatchTest.Result.PASSED, "Passed: no reaction"),
            (PatchTest.Result.FAILED, "Failed: a reaction"),
        ],
        widget=forms.RadioSelect,
    )
    read_at = date_input.DateTimeField(widget=DateTimeInput(), label="Read at")
    notes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Observations"
    )


class PatchTestWithdrawForm(LineEndingsMixin, forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=500,
        label="Why is it withdrawn?",
        error_messages={"required": "Say why the patch test is withdrawn."},
        help_text="For example: recorded on the wrong client, or never applied. "
        "The record stays in the audit trail.",
    )


class ConsentSignForm(forms.Form):
    typed_name = forms.CharField(
        max_length=200,
        required=False,
        label="Or type the client's full name to sign",
    )
    signature = forms.CharField(widget=forms.HiddenInput, required=False)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("signature") and not cleaned.get("typed_name", "").strip():
            raise ValidationError("Sign in the box or type the client's name.")
        return cleaned


class ConsentTextForm(forms.ModelForm):
    class Meta:
        model = ConsentText
        fields = ["kind", "title", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 12})}


class ImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="A spreadsheet saved as CSV (UTF-8) with a header row.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 2 * 1024 * 1024:
            raise ValidationError("The file is over 2 MB; split it.")
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise ValidationError(
                "The file is not UTF-8 text: save it as “CSV UTF-8”."
            ) from error


class TreatmentGatesForm(forms.ModelForm):
    class Meta:
        model = TreatmentGates
        fields = ["intake", "suitability", "consent", "age", "hairline"]
