from django import forms

from messaging.models import AftercareStep, MessageSettings, MessageText


class MessageSettingsForm(forms.ModelForm):
    apply_to_booked = forms.BooleanField(
        required=False,
        initial=True,
        label="Also re-plan the reminders of appointments already booked",
        help_text="Otherwise new times apply to bookings made or moved from now on. "
        "Recalls of courses already completed keep their dates.",
    )

    class Meta:
        model = MessageSettings
        fields = [
            "reminder_hours",
            "preparation_hours",
            "minoxidil_pause_days",
            "course_nudge_days",
            "permanent_check_months",
            "permanent_touch_up_months",
            "temporary_fade_check_months",
        ]


class MessageTextForm(forms.ModelForm):
    class Meta:
        model = MessageText
        fields = ["subject", "body", "sms"]
        widgets = {
            "body": forms.Textarea(attrs={"rows": 10}),
            "sms": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "sms": "Sent to clients who prefer texts, with the same placeholders. "
            "The link and “Reply STOP to opt out.” are added after it.",
        }

    def __init__(self, *args, with_sms: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not with_sms:
            # This kind goes by email only.
            del self.fields["sms"]


class AftercareStepForm(forms.ModelForm):
    class Meta:
        model = AftercareStep
        fields = ["day_offset", "after", "subject", "body", "is_active"]
        widgets = {"body": forms.Textarea(attrs={"rows": 6})}
