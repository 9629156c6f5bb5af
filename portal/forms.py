from datetime import datetime

from django import forms
from django.conf import settings

from clients.forms import ClassificationForm, HairLossForm, HealthForm, SkinHairForm
from clients.models import FITZPATRICK_TYPES, Client, HairLossCause
from clients.phones import normalise_phone


class SignInForm(forms.Form):
    email = forms.EmailField(
        label="Your email address",
        max_length=254,
        help_text="The address the clinic has for you.",
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput, max_length=500)


class DetailsForm(forms.ModelForm):
    """What a client changes themselves: how to reach them and what they receive.
    Their name, date of birth and email address stay with the clinic (the email
    address is how they sign in: a changed one is checked by the front desk)."""

    class Meta:
        model = Client
        fields = [
            "phone",
            "preferred_contact",
            "reminder_consent",
            "marketing_consent",
            "email_opt_out",
        ]
        labels = {
            "phone": "Phone number",
            "preferred_contact": "How we contact you",
            "reminder_consent": "Appointment reminders and recall emails",
            "marketing_consent": "News and offers from the clinic",
            "email_opt_out": "No email at all (aftercare included)",
        }
        help_texts = {
            "phone": "With the country code if not from "
            f"{settings.PHONE_DEFAULT_REGION}, e.g. +1 212 555 0100.",
            "reminder_consent": "",
            "email_opt_out": "Aftercare tells you how to look after your scalp "
            "after a session: we advise keeping it.",
        }
        widgets = {
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
        }

    def clean_phone(self):
        return normalise_phone(self.cleaned_data["phone"])

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("preferred_contact") in ("phone", "sms") and not cleaned.get(
            "phone"
        ):
            self.add_error("phone", "Add a phone number, or choose email.")
        return cleaned


class TimeForm(forms.Form):
    starts_at = forms.CharField(max_length=40)
    practitioner = forms.IntegerField(min_value=1)
    location = forms.IntegerField(min_value=1)

    def clean_starts_at(self):
        try:
            value = datetime.fromisoformat(self.cleaned_data["starts_at"])
        except ValueError as error:
            raise forms.ValidationError("Choose one of the times shown.") from error
        if value.tzinfo is None:
            raise forms.ValidationError("Choose one of the times shown.")
        return value


class ConsentSignForm(forms.Form):
    """Signing on the client's own phone: their full name typed, as on file."""

    agree = forms.BooleanField(
        label="I have read this and I agree to it", required=True
    )
    typed_name = forms.CharField(
        label="Type your full name to sign",
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )

    def __init__(self, *args, client, **kwargs):
        super().__init__(*args, **kwargs)
        self.client = client

    def clean_typed_name(self):
        typed = " ".join(self.cleaned_data["typed_name"].split())
        if typed.casefold() != " ".join(self.client.full_name.split()).casefold():
            raise forms.ValidationError(
                "Type your full name as the clinic has it "
                f"({self.client.full_name}). If it is wrong, please call the clinic."
            )
        return typed


# The health intake in the client's words: the staff intake's sections and
# questions (clients/forms.py), asked of the client before their visit.


class ClientHairLossForm(HairLossForm):
    title = "Your hair loss"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        fields = self.fields
        fields["hair_loss_cause"].label = "What caused your hair loss?"
        fields["hair_loss_cause"].choices = [
            ("", "I am not sure"),
            *HairLossCause.choices,
        ]
        fields[
            "alopecia_active"
        ].label = "My hair loss is still changing (new patches, or hair growing back)"
        fields["alopecia_active"].help_text = ""
        fields["transplant"].label = "Have you had a hair transplant?"
        fields["transplant"].choices = [
            ("", "No"),
            ("fue", "Yes, FUE (single grafts)"),
            ("fut", "Yes, FUT (a strip)"),
        ]
        fields["transplant_on"].label = "When was it (or your last scar surgery)?"
        fields["transplant_on"].help_text = ""
        fields[
            "chemotherapy_ended_on"
        ].label = "If you had chemotherapy: when did it end?"
        fields["hair_loss_notes"].label = "Anything else about your hair loss"


class ClientClassificationForm(ClassificationForm):
    title = "Your hair now"


class ClientSkinHairForm(SkinHairForm):
    title = "Your skin and hair"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fitzpatrick"].label = "How does your skin react to the sun?"
        self.fields["fitzpatrick"].widget.choices = [
            ("", "I am not sure"),
            *[
                (value, text.partition(": ")[2])
                for value, text in FITZPATRICK_TYPES.items()
            ],
        ]
        self.fields["hair_colour"].label = "Your natural hair colour"


class ClientHealthForm(HealthForm):
    title = "Your health"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        fields = self.fields
        fields["medical_history"].label = (
            "Health conditions (for example diabetes, a heart condition, high blood "
            "pressure, epilepsy, a skin condition on your scalp, pregnancy)"
        )
        fields["medications"].label = (
            "Medicines you take (for example blood thinners, acne tablets such as "
            "isotretinoin, minoxidil)"
        )
        fields["allergies"].label = "Allergies"
        fields[
            "pigment_reaction"
        ].label = (
            "Have you ever reacted to a tattoo, permanent make-up or a patch test?"
        )
        fields["pigment_reaction"].help_text = ""
        fields["pigment_reactions"].label = "If yes: what happened?"
        fields["pigment_reaction"].error_messages["required"] = (
            "Please answer yes or no."
        )


CLIENT_INTAKE_SECTIONS = {
    "hair-loss": ClientHairLossForm,
    "classification": ClientClassificationForm,
    "skin-hair": ClientSkinHairForm,
    "health": ClientHealthForm,
}
