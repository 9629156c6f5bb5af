"""Amounts are integer minor units with a currency, written with its symbol in a
locale's format; pounds and dollars are never added together."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.template import Context, Template

from core.money import (
    CURRENCIES,
    Money,
    MoneyField,
    exponent,
    format_money,
    part_of,
    to_major,
    to_minor,
)


def test_every_currency_offered_has_two_minor_digits():
    # A service's one price means the same count of pence or cents everywhere.
    assert all(exponent(code) == 2 for code in CURRENCIES)


def test_amounts_show_with_their_symbol_in_the_locale_format():
    assert format_money(45000, "GBP", "en_GB") == "£450.00"
    assert format_money(150000, "USD", "en_US") == "$1,500.00"
    assert format_money(150000, "EUR", "fr_FR") == "1\u202f500,00\xa0€"
    # Without a locale, the currency's home one: not "US$" in a British format.
    assert format_money(150000, "USD") == "$1,500.00"


def test_minor_units_are_exact_where_a_float_is_not():
    # 0.29 * 100 is 28.999999999999996 as a float.
    assert to_minor(Decimal("0.29"), "GBP") == 29
    assert to_minor(Decimal("100.10"), "USD") == 10010
    assert to_major(10010, "USD") == Decimal("100.10")
    with pytest.raises(ValidationError, match="at most 2 decimal places"):
        to_minor(Decimal("1.005"), "GBP")


def test_sums_across_currencies_are_refused():
    assert Money(100, "GBP") + Money(250, "GBP") == Money(350, "GBP")
    assert Money(100, "GBP") - Money(250, "GBP") == Money(-150, "GBP")
    with pytest.raises(ValueError, match="Cannot add USD to GBP"):
        Money(100, "GBP") + Money(100, "USD")


def test_the_tax_inside_a_tax_inclusive_price():
    assert part_of(12000, Decimal("20")) == 2000
    assert part_of(45000, Decimal("0")) == 0
    # 20% VAT in £0.05 is 0.8333p: rounded to 1p.
    assert part_of(5, Decimal("20")) == 1


@pytest.mark.parametrize(
    ("typed", "minor"), [("450", 45000), ("450.5", 45050), ("0.29", 29), ("0", 0)]
)
def test_the_money_field_cleans_major_units_to_minor(typed, minor):
    assert MoneyField().clean(typed) == minor


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("-1", "greater than or equal to 0"),
        ("1.005", "decimal place"),
        ("abc", "Enter a number"),
        ("1e400", "no more than 9 digits"),
        ("10000000", "no more than 7 digits before the decimal point"),
    ],
)
def test_the_money_field_refuses_what_is_not_an_amount(typed, message):
    with pytest.raises(ValidationError, match=message):
        MoneyField().clean(typed)


def test_the_money_field_shows_minor_units_as_major():
    assert MoneyField().prepare_value(45000) == Decimal("450.00")


def test_the_template_filter_takes_a_location_a_code_or_a_money():
    class NewYork:
        currency = "USD"
        locale = "en_US"

    template = Template(
        "{% load money %}{{ a|money:where }} {{ b|money:'GBP' }} {{ c|money }}"
    )
    text = template.render(
        Context({"a": 45000, "where": NewYork(), "b": 10000, "c": Money(5, "EUR")})
    )
    assert text == "$450.00 £100.00 €0.05"
