"""Amounts of money: integer minor units (pence, cents) with an ISO 4217 currency,
never floats, shown with the currency's symbol in a locale's format (babel).

A location keeps a currency and a locale; every amount the clinic charges or takes
there is in that currency. The currencies offered all have two minor digits, so a
service's price (one number, charged in each location's currency) means the same
count of pence or cents everywhere.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency, get_currency_name, get_currency_precision
from django import forms
from django.core.exceptions import ValidationError

# Currencies a location may keep: ISO 4217, two minor digits each.
CURRENCIES = (
    "AUD",
    "CAD",
    "CHF",
    "CZK",
    "DKK",
    "EUR",
    "GBP",
    "HKD",
    "NOK",
    "NZD",
    "PLN",
    "SEK",
    "SGD",
    "USD",
    "ZAR",
)

# Where no location says how to write an amount (a plan's price), its currency's home.
HOME_LOCALES = {
    "AUD": "en_AU",
    "CAD": "en_CA",
    "CHF": "de_CH",
    "CZK": "cs_CZ",
    "DKK": "da_DK",
    "EUR": "en_IE",
    "GBP": "en_GB",
    "HKD": "en_HK",
    "NOK": "nb_NO",
    "NZD": "en_NZ",
    "PLN": "pl_PL",
    "SEK": "sv_SE",
    "SGD": "en_SG",
    "USD": "en_US",
    "ZAR": "en_ZA",
}

# Locales a location's amounts and dates may be written in.
LOCALES = (
    ("en_GB", "English (United Kingdom)"),
    ("en_US", "English (United States)"),
    ("en_IE", "English (Ireland)"),
    ("en_CA", "English (Canada)"),
    ("en_AU", "English (Australia)"),
    ("en_NZ", "English (New Zealand)"),
    ("en_ZA", "English (South Africa)"),
    ("fr_FR", "Français (France)"),
    ("de_DE", "Deutsch (Deutschland)"),
    ("es_ES", "Español (España)"),
    ("it_IT", "Italiano (Italia)"),
    ("nl_NL", "Nederlands (Nederland)"),
)


# For a model field's choices: the codes (a currency is never free text).
CURRENCY_CODES = [(code, code) for code in CURRENCIES]


def currency_choices() -> list[tuple[str, str]]:
    return [
        (code, f"{code} – {get_currency_name(code, locale='en')}")
        for code in CURRENCIES
    ]


def validate_currency(value: str) -> None:
    if value not in CURRENCIES:
        raise ValidationError(
            f"{value!r} is not a currency the clinic can keep: pick one from the list."
        )


def validate_locale(value: str) -> None:
    try:
        Locale.parse(value)
    except (ValueError, UnknownLocaleError):
        raise ValidationError(f"{value!r} is not a locale (e.g. en_GB).") from None


def exponent(currency: str) -> int:
    return get_currency_precision(currency)


def to_minor(amount: Decimal, currency: str) -> int:
    """Major units (450.00) to minor units (45000); refuses fractions of a penny."""
    scale = Decimal(10) ** exponent(currency)
    minor = amount * scale
    if minor != minor.to_integral_value():
        raise ValidationError(
            f"{currency} amounts have at most {exponent(currency)} decimal places."
        )
    return int(minor)


def to_major(minor: int, currency: str) -> Decimal:
    places = exponent(currency)
    return (Decimal(minor) / (Decimal(10) ** places)).quantize(
        Decimal(1).scaleb(-places)
    )


def format_money(minor: int, currency: str, locale: str | None = None) -> str:
    """45000, GBP, en_GB -> '£450.00'; 45000, USD, en_US -> '$450.00'. Without a
    locale, the currency's home one."""
    locale = locale or HOME_LOCALES.get(currency, "en_GB")
    return format_currency(to_major(minor, currency), currency, locale=locale)


@dataclass(frozen=True, order=True)
class Money:
    """An exact amount in one currency. Sums across currencies are refused, not
    converted: a London pound and a New York dollar are never added together."""

    minor: int
    currency: str

    def _same(self, other: "Money") -> None:
        if other.currency != self.currency:
            raise ValueError(f"Cannot add {other.currency} to {self.currency}.")

    def __add__(self, other: "Money") -> "Money":
        self._same(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: "Money") -> "Money":
        self._same(other)
        return Money(self.minor - other.minor, self.currency)

    def __neg__(self) -> "Money":
        return Money(-self.minor, self.currency)

    def __bool__(self) -> bool:
        return self.minor != 0

    @property
    def major(self) -> Decimal:
        return to_major(self.minor, self.currency)

    def format(self, locale: str | None = None) -> str:
        return format_money(self.minor, self.currency, locale)

    def __str__(self) -> str:
        return self.format()


def part_of(minor: int, rate_percent: Decimal) -> int:
    """The tax inside a tax-inclusive amount (20% VAT in £120.00 is £20.00), to the
    minor unit, halves rounded up as HMRC and most US states round."""
    if not rate_percent:
        return 0
    tax = Decimal(minor) * rate_percent / (Decimal(100) + rate_percent)
    return int(tax.quantize(Decimal(1), rounding=ROUND_HALF_UP))


class MoneyField(forms.DecimalField):
    """A form field for an amount typed in major units ('450', '450.00'); cleans to
    minor units (45000). The currencies offered all have two minor digits."""

    def __init__(self, *, currency: str = "GBP", **kwargs):
        self.currency = currency
        kwargs.setdefault("min_value", Decimal(0))
        # 9,999,999.99 at most: within a PositiveIntegerField in minor units.
        kwargs.setdefault("max_digits", 9)
        kwargs.setdefault("decimal_places", exponent(currency))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, int):
            return to_major(value, self.currency)
        return value

    def clean(self, value):
        # Digits, places and the minimum are checked on the amount typed.
        amount = super().clean(value)
        return None if amount is None else to_minor(amount, self.currency)
