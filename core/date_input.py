"""Dates and times from the outside (query strings, forms, JSON) inside a sane window.

Python's dates run from year 1 to 9999; a day before the first or after the last, a
week's end or a time zone's offset was an OverflowError and a server error. Nothing a
clinic books, records or reports lies outside 1900-01-01 .. 2200-12-31, so what does is
refused where it comes in: a form field's error, or a 400 page (DateOutOfRange raised
by a view and answered by DateInputMiddleware). The JSON API checks the same window
with its own types (appointments/api.py), so that its schema states it.
"""

from datetime import UTC, date, datetime, time

from django import forms
from django.db import models
from django.shortcuts import render

EARLIEST = date(1900, 1, 1)
LATEST = date(2200, 12, 31)
MESSAGE = (
    f"Enter a date between {EARLIEST.isoformat()} and {LATEST.isoformat()}; "
    "dates outside that range are refused."
)
CODE = "date_out_of_range"


class DateOutOfRange(ValueError):
    def __init__(self, message: str = MESSAGE):
        super().__init__(message)
        self.message = message


def check_date(value: date) -> date:
    if isinstance(value, datetime):
        return check_datetime(value)
    if not EARLIEST <= value <= LATEST:
        raise DateOutOfRange
    return value


def check_datetime(value: datetime) -> datetime:
    # Compared in UTC when it has an offset: 0001-01-01T00:00+14:00 is a day that
    # does not exist in UTC, and converting it is the OverflowError.
    low = datetime.combine(EARLIEST, time.min)
    high = datetime.combine(LATEST, time.max)
    if value.tzinfo is not None and value.utcoffset() is not None:
        low, high = low.replace(tzinfo=UTC), high.replace(tzinfo=UTC)
    if not low <= value <= high:
        raise DateOutOfRange
    return value


def parse_date(text: str) -> date:
    """An ISO date (YYYY-MM-DD) in the window; ValueError (or DateOutOfRange) else."""
    return check_date(date.fromisoformat(text.strip()))


def parse_datetime(text: str) -> datetime:
    """An ISO date and time in the window; ValueError (or DateOutOfRange) else."""
    return check_datetime(datetime.fromisoformat(text.strip()))


def _window(value) -> None:
    try:
        check_date(value)
    except DateOutOfRange as error:
        raise forms.ValidationError(error.message, code=CODE) from None


class DateField(forms.DateField):
    default_validators = [_window]


class DateTimeField(forms.DateTimeField):
    default_validators = [_window]


def refuse_out_of_range(form: forms.Form) -> None:
    """Raise DateOutOfRange when a field of the bound form was refused for its date
    (the page answers 400 with the message); other errors are the view's to show."""
    if form.is_bound and not form.is_valid():
        for field in form.errors:
            if form.has_error(field, CODE):
                raise DateOutOfRange


class DateInputMiddleware:
    """A view that raised DateOutOfRange answers 400 with a page that says why. (The
    JSON API refuses such dates itself, as its schema says: appointments/api.py.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DateOutOfRange):
            return None
        return render(
            request, "bad_request.html", {"message": exception.message}, status=400
        )


def model_formfield(db_field, **kwargs):
    """A ModelForm's Meta.formfield_callback: the model's date fields in the window."""
    if isinstance(db_field, models.DateTimeField):
        kwargs.setdefault("form_class", DateTimeField)
    elif isinstance(db_field, models.DateField):
        kwargs.setdefault("form_class", DateField)
    return db_field.formfield(**kwargs)
