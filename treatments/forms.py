from django import forms
from django.utils import timezone

from appointments import slots
from appointments.gates import TREATMENT_KINDS
from appointments.models import Location, Practitioner, Service
from core import date_input, money
from core.form_mixins import LineEndingsMixin
from core.forms import DateInput, TimeInput
from pigments import selectors as pigment_selectors
from pigments.forms import LotField
from pigments.models import LotStatus, Pigment, PigmentLot
from treatments.models import (
    Density,
    Healing,
    PhotoKind,
    PhotoView,
    TreatmentPlan,
    TreatmentSession,
    Zone,
)


class PigmentForm(forms.ModelForm):
    class Meta:
        model = Pigment
        fields = [
            "brand",
            "shade",
            "ingredients",
            "warnings",
            "shelf_life_days",
            "is_active",
        ]
        labels = {"shelf_life_days": "Shelf life after opening (days)"}
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
        formfield_callback = date_input.model_formfield
        model = PigmentLot
        fields = ["pigment", "lot_number", "expires_on", "opened_on"]
        widgets = {"expires_on": DateInput(), "opened_on": DateInput()}


class LotStatusForm(forms.Form):
    status = forms.ChoiceField(label="Set the lot to", choices=LotStatus.choices)
    reason = forms.CharField(
        max_length=300,
        required=False,
        help_text="Why, e.g. the supplier's recall notice; required to quarantine or "
        "recall.",
    )


class PlanForm(LineEndingsMixin, forms.ModelForm):
    price_minor = money.MoneyField(
        label="Price",
        required=False,
        help_text="Tax included; leave empty while it is not agreed.",
    )

    class Meta:
        formfield_callback = date_input.model_formfield
        model = TreatmentPlan
        fields = [
            "variant",
            "goal",
            "practitioner",
            "service",
            "sessions_planned",
            "gap_min_days",
            "gap_max_days",
            "surgery_on",
            "hairline_style",
            "recession",
            "design_notes",
            "price_basis",
            "price_minor",
            "currency",
        ]
        widgets = {
            "surgery_on": DateInput(),
            "currency": forms.Select(choices=money.currency_choices()),
            "design_notes": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {
            "service": "Book sessions as",
            "gap_min_days": "Shortest gap (days)",
            "gap_max_days": "Longest gap (days)",
            "price_basis": "The price is",
        }
        help_texts = {
            "surgery_on": "Scar camouflage only; the intake's date is used if empty.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "practitioner" in self.fields:
            self.fields["practitioner"].queryset = Practitioner.objects.filter(
                is_active=True
            ).select_related("user")
        self.fields["service"].queryset = Service.objects.filter(
            is_active=True, kind__in=sorted(TREATMENT_KINDS)
        )
        # A form sent without them keeps the plan's (or the default) basis and currency.
        self.fields["price_basis"].required = False
        self.fields["currency"].required = False
        if not self.instance.pk:
            # The currency of the clinic the course will most likely be given at.
            practitioner = self.initial.get("practitioner")
            location = practitioner.locations.first() if practitioner else None
            location = location or Location.objects.first()
            if location:
                self.initial.setdefault("currency", location.currency)

    def clean_price_minor(self):
        return self.cleaned_data["price_minor"] or 0

    def clean_price_basis(self):
        return self.cleaned_data["price_basis"] or self.instance.price_basis

    def clean_currency(self):
        return (
            self.cleaned_data["currency"]
            or self.initial.get("currency")
            or self.instance.currency
        )


class PlanEditForm(PlanForm):
    class Meta(PlanForm.Meta):
        fields = [f for f in PlanForm.Meta.fields if f not in ("practitioner",)]


class DesignSignOffForm(forms.Form):
    typed_name = forms.CharField(
        label="Client's full name",
        max_length=200,
        help_text="The client types their name to agree to the hairline design.",
    )


class CourseStartForm(forms.Form):
    location = forms.ModelChoiceField(queryset=Location.objects.none())
    first_day = date_input.DateField(
        label="First session on or after", widget=DateInput()
    )

    def __init__(self, *args, plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = plan.practitioner.locations.filter(
            is_active=True
        )


class CourseForm(forms.Form):
    """A date and time for every session not booked yet, prefilled with a proposal."""

    def __init__(self, *args, sessions, **kwargs):
        super().__init__(*args, **kwargs)
        self.numbers = [session.number for session in sessions]
        for number in self.numbers:
            self.fields[f"date_{number}"] = date_input.DateField(
                label=f"Session {number}: date", widget=DateInput()
            )
            self.fields[f"time_{number}"] = forms.TimeField(
                label=f"Session {number}: time", widget=TimeInput()
            )

    def rows(self):
        return [
            (number, self[f"date_{number}"], self[f"time_{number}"])
            for number in self.numbers
        ]

    def starts(self, location: Location) -> dict:
        return {
            number: slots.wall_to_utc(
                self.cleaned_data[f"date_{number}"],
                self.cleaned_data[f"time_{number}"],
                location.zone,
            )
            for number in self.numbers
        }


DENSITY_CHOICES = [("", "Not treated"), *Density.choices]


class SessionRecordForm(LineEndingsMixin, forms.Form):
    """What was done in a session: zones with density, lots, needle and notes.

    Editing a recorded session starts from `initial_for(session)`, every field of it,
    so that a save changes only what the practitioner changed."""

    LOT_ROWS = 3

    needle = forms.CharField(
        max_length=60,
        required=False,
        help_text="Pins and shape, e.g. 1RL at the hairline, 3RL elsewhere.",
    )
    cartridge_lot = forms.CharField(max_length=64, required=False)
    depth_note = forms.CharField(max_length=200, required=False)
    anaesthetic = forms.CharField(max_length=200, required=False)
    skin_reaction = forms.CharField(max_length=200, required=False)
    duration_minutes = forms.IntegerField(
        label="Duration (minutes)", min_value=1, max_value=720, required=False
    )
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, lots=None, can_complete: bool = False, **kwargs):
        """`lots`: what the pickers offer (pigments.selectors.lots_for_picker for the
        session's day, keeping the lots already recorded on it)."""
        super().__init__(*args, **kwargs)
        # A session with more lots than the usual rows keeps every one of them.
        self.lot_row_count = max(
            [
                self.LOT_ROWS,
                *(
                    int(name.removeprefix("lot_"))
                    for name in self.initial
                    if name.startswith("lot_") and name.removeprefix("lot_").isdigit()
                ),
            ]
        )
        if can_complete:
            self.fields["complete_appointment"] = forms.BooleanField(
                label="Complete the appointment too",
                help_text="The client's aftercare emails start when it is completed.",
                required=False,
                initial=True,
            )
        for value, label in Zone.choices:
            self.fields[f"zone_{value}"] = forms.ChoiceField(
                label=label, choices=DENSITY_CHOICES, required=False
            )
        if lots is None:
            lots = pigment_selectors.lots_for_picker(timezone.localdate())
        for row in range(1, self.lot_row_count + 1):
            self.fields[f"lot_{row}"] = LotField(
                lots=lots, label=f"Pigment lot {row}", required=row == 1
            )
            self.fields[f"dilution_{row}"] = forms.CharField(
                label=f"Dilution {row}", max_length=60, required=False
            )

    def zone_fields(self):
        return [(value, self[f"zone_{value}"]) for value in Zone.values]

    def lot_rows(self):
        return [
            (self[f"lot_{row}"], self[f"dilution_{row}"])
            for row in range(1, self.lot_row_count + 1)
        ]

    def zones(self) -> dict[str, str]:
        return {value: self.cleaned_data[f"zone_{value}"] for value in Zone.values}

    def pigments(self) -> list:
        return [
            (self.cleaned_data[f"lot_{row}"], self.cleaned_data[f"dilution_{row}"])
            for row in range(1, self.lot_row_count + 1)
            if self.cleaned_data.get(f"lot_{row}")
        ]

    def details(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.DETAILS}

    DETAILS = (
        "needle",
        "cartridge_lot",
        "depth_note",
        "anaesthetic",
        "skin_reaction",
        "notes",
        "duration_minutes",
    )
    # What a new session starts from when the previous one is recorded: the set-up,
    # not what happened (reaction, notes and duration are this session's own).
    CARRIED = ("needle", "cartridge_lot", "depth_note", "anaesthetic")

    def completes_appointment(self) -> bool:
        return bool(self.cleaned_data.get("complete_appointment"))

    @classmethod
    def initial_for(cls, session, names=DETAILS) -> dict:
        """Every field of a recorded session, to edit it."""
        initial = {f"zone_{zone}": density for zone, density in session.zones.items()}
        for row, use in enumerate(session.pigments.all(), start=1):
            initial[f"lot_{row}"] = use.lot_id
            initial[f"dilution_{row}"] = use.dilution
        for name in names:
            initial[name] = getattr(session, name)
        return initial

    @classmethod
    def carried_from(cls, previous) -> dict:
        """A new session's starting values, from the previous session."""
        return cls.initial_for(previous, names=cls.CARRIED)


class SessionNeedleForm(forms.Form):
    needle = forms.CharField(
        label="Further needle", max_length=60, required=False, help_text="e.g. 3RL 0.35"
    )
    cartridge_lot = forms.CharField(
        label="Its cartridge lot", max_length=64, required=False
    )
    zones = forms.MultipleChoiceField(
        label="Zones it worked",
        choices=Zone.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def clean(self):
        cleaned = super().clean()
        if (cleaned.get("cartridge_lot") or cleaned.get("zones")) and not cleaned.get(
            "needle", ""
        ).strip():
            self.add_error("needle", "Write the needle these belong to.")
        return cleaned


NeedleFormSet = forms.formset_factory(SessionNeedleForm, extra=1, max_num=8)


def needle_initial(session) -> list[dict]:
    return [
        {"needle": n.needle, "cartridge_lot": n.cartridge_lot, "zones": n.zones}
        for n in session.needles.all()
    ]


def needles_from(formset) -> list[tuple[str, str, list[str]]]:
    return [
        (
            form.cleaned_data["needle"],
            form.cleaned_data["cartridge_lot"],
            form.cleaned_data["zones"],
        )
        for form in formset.forms
        if form.cleaned_data.get("needle", "").strip()
    ]


class HealingForm(forms.Form):
    healing = forms.ChoiceField(
        label="Has it healed?", choices=Healing.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        max_length=300,
        required=False,
        help_text="Required when not healed: what you saw.",
    )


class PhotoForm(forms.Form):
    image = forms.FileField(
        label="Photo",
        widget=forms.ClearableFileInput(
            # No `capture`: a phone then offers the camera and the photo library.
            attrs={"accept": "image/jpeg,image/png,image/webp"}
        ),
    )
    kind = forms.ChoiceField(choices=PhotoKind.choices)
    view = forms.ChoiceField(
        choices=[("", "Choose the view"), *PhotoView.choices],
        help_text="Before and after are compared view by view.",
    )
    plan = forms.ModelChoiceField(
        queryset=TreatmentPlan.objects.none(),
        required=False,
        help_text="For a hairline reference or a before photo of a plan.",
    )
    session = forms.ModelChoiceField(
        queryset=TreatmentSession.objects.none(), required=False
    )
    caption = forms.CharField(max_length=200, required=False)

    def __init__(self, *args, client, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = TreatmentPlan.objects.filter(client=client)
        self.fields["session"].queryset = TreatmentSession.objects.filter(
            client=client, appointment__isnull=False
        ).select_related("plan")
