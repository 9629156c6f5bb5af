import functools
import itertools
import zoneinfo
from datetime import datetime

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model

from appointments import slots
from appointments.models import (
    Appointment,
    Closure,
    Location,
    Practitioner,
    Room,
    Service,
    WorkingHours,
)
from clients.models import Client
from clients.phones import normalise_phone
from clients.photos import CleanPhoto, PhotoRejected, check_size, clean_photo
from core import date_input, money
from core.forms import DateInput, RecordsField, TimeInput
from core.roles import Capability, can


class LocalTimeMixin:
    """A date and a wall-clock time read in a location's zone, as one UTC instant."""

    def local_starts_at(self, location: Location) -> datetime:
        return slots.wall_to_utc(
            self.cleaned_data["date"], self.cleaned_data["time"], location.zone
        )


class KeptLocationField(forms.ModelChoiceField):
    """A location among those the view has already read (`kept`, by id), so that
    checking the choice needs no query (selectors.calendar_locations_kept); its
    options are still the queryset's."""

    kept: dict[int, Location]

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return self.kept[int(value)]
        except (KeyError, TypeError, ValueError, OverflowError):
            raise forms.ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": value},
            ) from None


class CalendarForm(forms.Form):
    location = KeptLocationField(queryset=Location.objects.none())

    def __init__(self, *args, locations, kept, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = locations
        self.fields["location"].kept = kept


class CalendarDayForm(CalendarForm):
    date = date_input.DateField(widget=DateInput())


class CalendarWeekForm(CalendarForm):
    practitioner = forms.ModelChoiceField(
        queryset=Practitioner.objects.filter(is_active=True).select_related("user")
    )
    date = date_input.DateField(widget=DateInput(), label="Week of")

    field_order = ["practitioner", "location", "date"]


class ClientChoiceField(forms.ModelChoiceField):
    """A client picked from search results; the template renders the picker."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        super().__init__(
            queryset=Client.objects.all(),
            error_messages={
                "required": "Search for the client and pick them from the list.",
                "invalid_choice": "That client no longer exists; search again.",
            },
            **kwargs,
        )


class LocationTaggedSelect(forms.Select):
    """A select whose options name the locations they belong to (data-locations), so
    that static/js/app.js offers only those of the location chosen beside it."""

    def __init__(self, *args, locations_of, **kwargs):
        super().__init__(*args, **kwargs)
        self.locations_of = locations_of

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        instance = getattr(value, "instance", None)
        if instance is not None:
            pks = self.locations_of(instance)
            option["attrs"]["data-locations"] = " ".join(str(pk) for pk in pks)
        return option


class BookingForm(LocalTimeMixin, forms.Form):
    client = ClientChoiceField()
    service = forms.ModelChoiceField(queryset=Service.objects.filter(is_active=True))
    location = forms.ModelChoiceField(
        queryset=Location.objects.filter(is_active=True),
        help_text="The time is read in this location's time zone.",
        widget=forms.Select(attrs={"data-location-filter": ""}),
    )
    practitioner = forms.ModelChoiceField(
        queryset=Practitioner.objects.filter(is_active=True)
        .select_related("user")
        .prefetch_related("locations"),
        widget=LocationTaggedSelect(
            locations_of=lambda p: [location.pk for location in p.locations.all()]
        ),
    )
    date = date_input.DateField(widget=DateInput())
    time = forms.TimeField(widget=TimeInput(attrs={"step": 300}))
    room = forms.ModelChoiceField(
        queryset=Room.objects.filter(is_active=True).select_related("location"),
        required=False,
        empty_label="Assign a free room",
        widget=LocationTaggedSelect(locations_of=lambda room: [room.location_id]),
    )
    notes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000
    )
    overlap_reason = forms.CharField(
        required=False,
        max_length=200,
        label="Book over other appointments because",
        help_text="Managers only. Leave empty unless the double booking is deliberate.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if not can(user, Capability.MANAGEMENT):
            del self.fields["overlap_reason"]
        # Opened for a location (a calendar cell): offer only its practitioners and
        # rooms. A posted form keeps every choice, so that a mismatch is named below
        # rather than refused as "not one of the available choices".
        location = str(self.initial.get("location", ""))
        if not self.is_bound and location.isdigit():
            practitioner = self.fields["practitioner"]
            practitioner.queryset = practitioner.queryset.filter(locations=location)
            room = self.fields["room"]
            room.queryset = room.queryset.filter(location=location)

    def clean(self):
        cleaned = super().clean()
        room, location = cleaned.get("room"), cleaned.get("location")
        practitioner = cleaned.get("practitioner")
        if room and location and room.location_id != location.pk:
            self.add_error("room", f"{room.name} is not at {location}.")
        if practitioner and location and location not in practitioner.locations.all():
            self.add_error(
                "practitioner", f"{practitioner} does not work at {location}."
            )
        return cleaned


class RescheduleForm(LocalTimeMixin, forms.Form):
    date = date_input.DateField(widget=DateInput())
    time = forms.TimeField(widget=TimeInput(attrs={"step": 300}))
    practitioner = forms.ModelChoiceField(
        queryset=Practitioner.objects.filter(is_active=True).select_related("user")
    )
    overlap_reason = BookingForm.base_fields["overlap_reason"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if not can(user, Capability.MANAGEMENT):
            del self.fields["overlap_reason"]

    @classmethod
    def initial_for(cls, appointment: Appointment) -> dict:
        local = appointment.local_starts_at()
        return {
            "date": local.date(),
            "time": local.time(),
            "practitioner": appointment.practitioner,
        }


class CancelForm(forms.Form):
    asked_by = forms.ChoiceField(
        label="Who is cancelling",
        choices=[
            ("client", "The client asked"),
            ("clinic", "The clinic (the client is not at fault)"),
        ],
        widget=forms.RadioSelect,
        required=False,
        initial="clinic",
        help_text="A late cancellation the client asks for forfeits their deposit "
        "under the location's policy; the clinic's never does.",
    )
    reason = forms.CharField(
        max_length=200,
        label="Reason for cancelling",
        help_text="Kept with the appointment, and given to the client in the email "
        "that tells them (e.g. 'your practitioner is ill').",
    )


class NextFreeForm(forms.Form):
    service = forms.ModelChoiceField(queryset=Service.objects.filter(is_active=True))
    location = forms.ModelChoiceField(
        queryset=Location.objects.filter(is_active=True),
        required=False,
        empty_label="Any location",
    )
    date = date_input.DateField(widget=DateInput(), required=False, label="From")


# Manager set-up: locations, rooms, services, practitioners, hours, time off, closures.


# The regions of the IANA database's canonical zone names; the rest of what
# zoneinfo lists are old aliases (US/Eastern, GB, Factory) kept for compatibility.
ZONE_REGIONS = (
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
)


@functools.cache
def timezone_choices() -> tuple:
    """IANA zones to pick from, in option groups by region: ("Europe", (("Europe/
    London", "London"), ...)); UTC on its own first."""
    by_region: dict[str, list[tuple[str, str]]] = {}
    for name in sorted(zoneinfo.available_timezones()):
        region, _, place = name.partition("/")
        if region in ZONE_REGIONS and place:
            by_region.setdefault(region, []).append(
                (name, place.replace("_", " ").replace("/", " / "))
            )
    return (
        ("UTC", "UTC"),
        *((region, tuple(zones)) for region, zones in by_region.items()),
    )


class LocationForm(forms.ModelForm):
    video_link = forms.URLField(
        required=False,
        assume_scheme="https",
        validators=Location._meta.get_field("video_link").validators,
        # The field's message replaces every validator's of the same code.
        error_messages={"invalid": "Use an https:// link, e.g. https://zoom.us/j/1."},
        help_text=Location._meta.get_field("video_link").help_text,
    )
    timezone = forms.ChoiceField(
        label="Time zone",
        help_text="The zone of the location's clocks: every time there is shown in it.",
        error_messages={
            "invalid_choice": "“%(value)s” is not an IANA time zone: pick one from "
            "the list (e.g. Europe, London)."
        },
    )

    class Meta:
        model = Location
        fields = [
            "name",
            "address",
            "phone",
            "timezone",
            "currency",
            "locale",
            "tax_rate",
            "video_link",
            "deposit_refundable_hours",
            "legal_name",
            "tax_number",
            "is_active",
        ]
        widgets = {
            "address": forms.Textarea(attrs={"rows": 3}),
            "phone": forms.TextInput(attrs={"type": "tel"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = list(timezone_choices())
        current = self.instance.timezone if self.instance.pk else ""
        # A location saved with an old alias (US/Eastern) keeps it until changed.
        offered = {"UTC"} | {name for _, zones in choices[1:] for name, _ in zones}
        if current and current not in offered:
            choices.insert(0, (current, current))
        self.fields["timezone"].choices = choices
        self.fields["currency"].widget = forms.Select(choices=money.currency_choices())
        self.fields["locale"].widget = forms.Select(choices=money.LOCALES)
        # A form sent without them keeps the location's (or the default) values.
        for name in ("currency", "locale", "tax_rate", "deposit_refundable_hours"):
            self.fields[name].required = False
        if not self.instance.pk:
            self.initial.setdefault("timezone", settings.TIME_ZONE)

    def clean_phone(self):
        return normalise_phone(self.cleaned_data["phone"])

    def clean_currency(self):
        return self.cleaned_data["currency"] or self.instance.currency

    def clean_locale(self):
        return self.cleaned_data["locale"] or self.instance.locale

    def clean_deposit_refundable_hours(self):
        hours = self.cleaned_data["deposit_refundable_hours"]
        return self.instance.deposit_refundable_hours if hours is None else hours

    def clean_tax_rate(self):
        rate = self.cleaned_data["tax_rate"]
        return self.instance.tax_rate if rate is None else rate


class RoomForm(forms.ModelForm):
    class Meta:
        model = Room
        fields = ["location", "name", "is_active"]


class ServiceForm(forms.ModelForm):
    price_minor = money.MoneyField(
        label="Price",
        help_text="In each location's currency, tax included (450.00).",
    )
    deposit_minor = money.MoneyField(
        label="Deposit",
        help_text="Taken to hold the time; part of the price. 0 for none.",
    )

    class Meta:
        model = Service
        fields = [
            "name",
            "kind",
            "meeting",
            "duration_minutes",
            "buffer_before_minutes",
            "buffer_after_minutes",
            "needs_room",
            "needs_patch_test",
            "price_minor",
            "deposit_minor",
            "is_active",
        ]


class PractitionerForm(forms.ModelForm):
    class Meta:
        model = Practitioner
        fields = ["licence_number", "locations", "colour", "is_active"]
        field_classes = {"locations": RecordsField}
        widgets = {
            "locations": forms.CheckboxSelectMultiple,
            "colour": forms.TextInput(attrs={"type": "color"}),
        }


class NewPractitionerForm(PractitionerForm):
    """A practitioner with a new staff account, who sets a password from an email."""

    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    email = forms.EmailField(help_text="A link to set a password is sent here.")
    username = forms.CharField(max_length=150)

    field_order = ["first_name", "last_name", "email", "username"]

    def clean_username(self):
        username = self.cleaned_data["username"]
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise forms.ValidationError("That username is taken; choose another.")
        return username


class WorkingHoursForm(forms.ModelForm):
    class Meta:
        model = WorkingHours
        fields = ["location", "weekday", "start_time", "end_time"]
        widgets = {"start_time": TimeInput(), "end_time": TimeInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Rendered as table cells, without crispy's wrappers.
        for field in self.fields.values():
            select = isinstance(field.widget, forms.Select)
            field.widget.attrs["class"] = "form-select" if select else "form-control"


class BaseWorkingHoursFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        kept = [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get("start_time")
            and form.cleaned_data.get("end_time")
        ]
        kept.sort(key=lambda row: (row["weekday"], row["start_time"]))
        for before, after in itertools.pairwise(kept):
            if (
                before["weekday"] == after["weekday"]
                and after["start_time"] < before["end_time"]
            ):
                day = WorkingHours.Weekday(before["weekday"]).label
                raise forms.ValidationError(
                    f"Two blocks overlap on {day}: "
                    f"{before['start_time']:%H:%M}–{before['end_time']:%H:%M} and "
                    f"{after['start_time']:%H:%M}–{after['end_time']:%H:%M}."
                )


WorkingHoursFormSet = forms.inlineformset_factory(
    Practitioner,
    WorkingHours,
    form=WorkingHoursForm,
    formset=BaseWorkingHoursFormSet,
    extra=3,
    can_delete=True,
)


class TimeOffForm(LocalTimeMixin, forms.Form):
    location = forms.ModelChoiceField(
        queryset=Location.objects.filter(is_active=True),
        help_text="Dates and times are read in this location's time zone.",
    )
    date = date_input.DateField(widget=DateInput(), label="From date")
    time = forms.TimeField(widget=TimeInput(), label="From time")
    end_date = date_input.DateField(widget=DateInput(), label="Until date")
    end_time = forms.TimeField(widget=TimeInput(), label="Until time")
    reason = forms.CharField(max_length=200, required=False)

    def local_ends_at(self, location: Location) -> datetime:
        return slots.wall_to_utc(
            self.cleaned_data["end_date"], self.cleaned_data["end_time"], location.zone
        )

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        location = cleaned["location"]
        if self.local_ends_at(location) <= self.local_starts_at(location):
            raise forms.ValidationError("The time off must end after it starts.")
        return cleaned


class ClosureForm(forms.ModelForm):
    class Meta:
        formfield_callback = date_input.model_formfield
        model = Closure
        fields = ["date", "name", "location"]
        widgets = {"date": DateInput()}
        help_texts = {"location": "Leave empty to close every location."}


class FeedForm(forms.Form):
    """A practitioner's private calendar feed: a new link, or none."""

    practitioner = forms.ModelChoiceField(queryset=Practitioner.objects.none())
    action = forms.ChoiceField(
        choices=[("renew", "Get a new link"), ("stop", "Stop the feed")]
    )

    def __init__(self, *args, practitioners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practitioner"].queryset = practitioners
        self.fields["practitioner"].error_messages["invalid_choice"] = (
            "You can only manage your own calendar feed."
        )


class OnlineBookingForm(forms.Form):
    """A new client's details for the time they picked: how to reach them.

    `website` is a honeypot: hidden from people (and from screen readers), it is
    filled in only by bots that fill in every field.
    """

    first_name = forms.CharField(max_length=100)
    last_name = forms.CharField(max_length=100)
    email = forms.EmailField(help_text="Your confirmation goes here.")
    phone = forms.CharField(max_length=32, required=False)
    notes = forms.CharField(
        label="Anything we should know (optional)",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        required=False,
    )
    reminder_consent = forms.BooleanField(
        label="Email me reminders before my appointment",
        required=False,
        initial=True,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    website = forms.CharField(
        required=False,
        label="Leave this empty",
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    # The views a quote needs (DOMAIN.md: front, top, sides, crown, back).
    PHOTO_VIEWS = (
        ("front", "Front"),
        ("top", "Top"),
        ("left", "Left side"),
        ("right", "Right side"),
        ("crown", "Crown"),
        ("back", "Back"),
    )

    def __init__(self, *args, service: Service, photo_text=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.service = service
        self.photo_text = photo_text
        if photo_text is not None:
            # Only with a photo consent text to agree to: none, no photos.
            for view, label in self.PHOTO_VIEWS:
                self.fields[f"photo_{view}"] = forms.FileField(
                    label=label,
                    required=False,
                    widget=forms.FileInput(
                        attrs={"accept": "image/jpeg,image/png,image/webp"}
                    ),
                )
            self.fields["photo_consent"] = forms.BooleanField(
                label="I agree to the clinic keeping these photos in my clinical "
                "record, seen only by the people treating me.",
                required=False,
            )
        if service.meeting == Service.Meeting.PHONE:
            phone = self.fields["phone"]
            phone.required = True
            phone.help_text = "We call you on this number at your time."
            phone.error_messages["required"] = (
                "A phone consultation needs your phone number."
            )

    def clean_phone(self):
        return normalise_phone(self.cleaned_data["phone"])

    def contact_fields(self):
        return [self[name] for name in ("first_name", "last_name", "email", "phone")]

    def photo_fields(self):
        return [self[f"photo_{view}"] for view, _ in self.PHOTO_VIEWS]

    def clean(self):
        data = super().clean()
        self.photos: list[tuple[str, CleanPhoto]] = []
        if self.photo_text is None:
            return data
        for view, _ in self.PHOTO_VIEWS:
            upload = data.get(f"photo_{view}")
            if not upload:
                continue
            # The same checks as a practitioner's upload: type by content, size,
            # pixel count, re-encoded from the pixels alone (EXIF gone).
            try:
                check_size(upload.size)
                self.photos.append((view, clean_photo(upload.read())))
            except PhotoRejected as error:
                self.add_error(f"photo_{view}", str(error))
        if self.photos and not data.get("photo_consent"):
            self.add_error(
                "photo_consent",
                "To send photos, agree to us keeping them in your clinical record.",
            )
        return data


class PractitionerChoiceForm(forms.Form):
    """The booking page's "with whom": anyone free (the default) or one person."""

    practitioner = forms.TypedChoiceField(
        label="With",
        coerce=int,
        required=False,
        empty_value=None,
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args, practitioners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practitioner"].choices = [("", "Any practitioner")] + [
            (p.pk, p.user.first_name or str(p)) for p in practitioners
        ]

    def chosen(self) -> int | None:
        """The practitioner asked for, or None (anyone) for a missing or stale id."""
        if self.is_valid():
            return self.cleaned_data["practitioner"]
        return None


class WaitlistForm(forms.Form):
    service = forms.ModelChoiceField(queryset=Service.objects.filter(is_active=True))
    practitioner = forms.ModelChoiceField(
        queryset=Practitioner.objects.filter(is_active=True).select_related("user"),
        required=False,
        empty_label="Any practitioner",
    )
    location = forms.ModelChoiceField(
        queryset=Location.objects.filter(is_active=True),
        required=False,
        empty_label="Any location",
    )
    earliest_on = date_input.DateField(widget=DateInput(), label="From")
    latest_on = date_input.DateField(
        widget=DateInput(),
        label="Until",
        help_text="The last day the client could come.",
    )
    notes = forms.CharField(
        max_length=200,
        required=False,
        help_text="For the front desk, e.g. 'mornings only'. Copied to the booking.",
    )

    # A longer window is a standing wish, better kept as a note than offered for.
    LONGEST_WINDOW_DAYS = 180

    def __init__(self, *args, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def clean(self):
        data = super().clean()
        earliest, latest = data.get("earliest_on"), data.get("latest_on")
        if earliest and latest:
            if latest < earliest:
                self.add_error("latest_on", "The window ends before it starts.")
            elif latest < self.today:
                self.add_error("latest_on", "The window is over already.")
            elif (latest - earliest).days > self.LONGEST_WINDOW_DAYS:
                self.add_error(
                    "latest_on",
                    f"Keep the window to {self.LONGEST_WINDOW_DAYS} days or less.",
                )
        practitioner, location = data.get("practitioner"), data.get("location")
        if (
            practitioner
            and location
            and not practitioner.locations.filter(pk=location.pk).exists()
        ):
            self.add_error("location", f"{practitioner} does not work at {location}.")
        return data
