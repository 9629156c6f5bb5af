from django import forms
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType

from core import date_input, images
from smp_clinic import reports
from smp_clinic.selectors import AUDIT_ACTIONS, AuditFilters, audited_record_kinds


class RecordKindField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name.capitalize()


class AuditFilterForm(forms.Form):
    """The audit trail's filters, read from the query string."""

    client = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    actor = forms.ModelChoiceField(
        queryset=get_user_model().objects.order_by("first_name", "username"),
        required=False,
        label="Who",
        empty_label="Anyone",
    )
    action = forms.ChoiceField(
        choices=[("", "Any action"), *((key, key.title()) for key in AUDIT_ACTIONS)],
        required=False,
    )
    record = RecordKindField(
        queryset=ContentType.objects.none(),
        required=False,
        label="Kind of record",
        empty_label="Any",
    )
    since = date_input.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    until = date_input.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["record"].queryset = ContentType.objects.filter(
            pk__in=[kind.pk for kind in audited_record_kinds()]
        )

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", "The end date is before the start date.")
        return cleaned

    def filters(self) -> AuditFilters:
        data = self.cleaned_data
        return AuditFilters(
            client_id=data["client"],
            actor_id=data["actor"].pk if data["actor"] else None,
            action=data["action"],
            record=data["record"].pk if data["record"] else None,
            since=data["since"],
            until=data["until"],
        )


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=20,
        help_text="The 6-digit code your authenticator app shows now, or one of your "
        "recovery codes.",
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "off",
                "spellcheck": "false",
                "autofocus": True,
            }
        ),
    )


class DateInput(forms.DateInput):
    """A browser date picker: its value must be ISO 8601, whatever the locale."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(
            {"class": "form-control form-control-sm", **(attrs or {})},
            format="%Y-%m-%d",
        )


class ReportPeriodForm(forms.Form):
    """The period reports cover, read from the query string."""

    first_day = date_input.DateField(label="From", widget=DateInput)
    last_day = date_input.DateField(label="To", widget=DateInput)

    def clean(self):
        data = super().clean()
        first, last = data.get("first_day"), data.get("last_day")
        if first and last:
            if first > last:
                raise forms.ValidationError("The first day comes after the last.")
            if (last - first).days > reports.LONGEST_PERIOD_DAYS:
                raise forms.ValidationError("Reports cover two years at most.")
        return data

    def period(self) -> reports.Period:
        return reports.Period(
            self.cleaned_data["first_day"], self.cleaned_data["last_day"]
        )


class ClinicProfileForm(forms.Form):
    """Set-up -> Clinic: the name and logo every page header and email shows. The
    logo goes through the photos' checks (core.images) and is kept as the PNG
    re-encoded from its pixels, never as uploaded."""

    name = forms.CharField(
        max_length=80,
        label="Clinic name",
        error_messages={"required": "Give the clinic a name."},
        help_text="Shown at the top of every page and in every email.",
    )
    logo = forms.FileField(
        required=False,
        label="Logo",
        help_text="A PNG, JPEG or WEBP picture (SVG files are refused), square works "
        "best; it is shown about 40 pixels high. Leave empty to keep the current one.",
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/png,image/jpeg,image/webp"}
        ),
    )
    remove_logo = forms.BooleanField(
        required=False, label="Remove the logo (show the app's own mark)"
    )

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError("Give the clinic a name.")
        return name

    def clean_logo(self):
        upload = self.cleaned_data.get("logo")
        if not upload:
            return None
        try:
            images.check_size(upload.size, noun="logo")
            return images.clean_logo(upload.read())
        except images.ImageRejected as error:
            raise forms.ValidationError(str(error)) from error
