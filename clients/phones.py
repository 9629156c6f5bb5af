"""Phone numbers in, E.164 out: one form for storage, search and duplicate checks."""

from functools import lru_cache

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError


def normalise_phone(value: str, region: str | None = None) -> str:
    """'07700 900123' -> '+447700900123' (in the default region); '' stays ''."""
    value = value.strip()
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, region or settings.PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException as error:
        raise ValidationError(
            f"“{value}” is not a phone number.", code="invalid_phone"
        ) from error
    # "Possible" (right length for the country) rather than "valid" (in a range the
    # library's metadata knows): a newly issued range must not lock a client out.
    if not phonenumbers.is_possible_number(number):
        raise ValidationError(
            f"“{value}” is not a valid phone number; add the country code "
            "(e.g. +44) if it is from abroad.",
            code="invalid_phone",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(value: str, region: str | None = None) -> str:
    """The one way a phone number is shown (pages, emails, exports): in national
    format for a number of the clinic's country (PHONE_DEFAULT_REGION), '07700
    900123'; international otherwise, '+1 212-555-0100'. What does not parse is
    shown as stored."""
    if not value:
        return ""
    return _display(value, region or settings.PHONE_DEFAULT_REGION)


# A clinic shows few numbers many times (a location's on every email of a sweep):
# parsing one costs more than the rest of a line of an email.
@lru_cache(maxsize=1024)
def _display(value: str, home: str) -> str:
    try:
        number = phonenumbers.parse(value, home)
    except phonenumbers.NumberParseException:
        return value
    # By country code, not by number range: a range the library's metadata does not
    # know yet (or a fictional 07700 900xxx) is still dialled nationally.
    if home in phonenumbers.region_codes_for_country_code(number.country_code):
        return phonenumbers.format_number(
            number, phonenumbers.PhoneNumberFormat.NATIONAL
        )
    return phonenumbers.format_number(
        number, phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )


def phone_search_digits(query: str) -> str:
    """The digits of a phone-like query, without a national leading 0 ('07700' ->
    '7700'), so it matches the stored E.164 form."""
    digits = "".join(ch for ch in query if ch.isdigit())
    return digits.lstrip("0")
