"""Amounts in integer minor units (pence, cents), and a currency, a locale and a tax
rate for every location.

Prices, deposits and deposits paid were decimals without a currency. Each becomes an
integer count of minor units, converted with Decimal arithmetic (never a float or a
database cast, which on SQLite goes through a float: 100.10 * 100 may truncate to
10009). Existing locations keep GBP in en_GB with no tax until a manager sets theirs.
"""

from decimal import Decimal

import django.core.validators
from django.db import migrations, models
from django.db.models import F, Q

import core.money

HUNDRED = Decimal(100)


def exact_minor(value: Decimal) -> int:
    minor = Decimal(value) * HUNDRED
    if minor != minor.to_integral_value():
        raise ValueError(f"{value} has fractions of a minor unit.")
    return int(minor)


def to_minor_units(apps, schema_editor):
    Service = apps.get_model("appointments", "Service")
    Appointment = apps.get_model("appointments", "Appointment")
    for service in Service.objects.all():
        service.price_minor = exact_minor(service.price)
        service.deposit_minor = exact_minor(service.deposit)
        service.save(update_fields=["price_minor", "deposit_minor"])
    # Few distinct deposits among many appointments: one update for each.
    paid = Appointment.objects.filter(deposit_paid__gt=0)
    for value in set(paid.values_list("deposit_paid", flat=True)):
        paid.filter(deposit_paid=value).update(deposit_paid_minor=exact_minor(value))


def to_decimals(apps, schema_editor):
    Service = apps.get_model("appointments", "Service")
    Appointment = apps.get_model("appointments", "Appointment")
    for service in Service.objects.all():
        service.price = Decimal(service.price_minor) / HUNDRED
        service.deposit = Decimal(service.deposit_minor) / HUNDRED
        service.save(update_fields=["price", "deposit"])
    paid = Appointment.objects.filter(deposit_paid_minor__gt=0)
    for value in set(paid.values_list("deposit_paid_minor", flat=True)):
        paid.filter(deposit_paid_minor=value).update(
            deposit_paid=Decimal(value) / HUNDRED
        )


class Migration(migrations.Migration):
    dependencies = [
        ("appointments", "0007_appointment_calendar_sequence"),
    ]

    operations = [
        migrations.AddField(
            model_name="location",
            name="currency",
            field=models.CharField(
                default="GBP",
                help_text="ISO 4217: the currency every price is charged in here.",
                max_length=3,
                validators=[core.money.validate_currency],
            ),
        ),
        migrations.AddField(
            model_name="location",
            name="locale",
            field=models.CharField(
                default="en_GB",
                help_text="How amounts are written: £1,500.00 (en_GB), 1 500,00 € "
                "(fr_FR).",
                max_length=10,
                validators=[core.money.validate_locale],
            ),
        ),
        migrations.AddField(
            model_name="location",
            name="tax_rate",
            field=models.DecimalField(
                decimal_places=2,
                default=0,
                help_text="VAT or sales tax included in the prices here; 0 for none.",
                max_digits=5,
                validators=[
                    django.core.validators.MinValueValidator(0),
                    django.core.validators.MaxValueValidator(99),
                ],
                verbose_name="tax rate (%)",
            ),
        ),
        migrations.AddConstraint(
            model_name="location",
            constraint=models.CheckConstraint(
                condition=Q(currency__regex="^[A-Z]{3}$"),
                name="location_currency_iso_4217",
            ),
        ),
        migrations.AddConstraint(
            model_name="location",
            constraint=models.CheckConstraint(
                condition=Q(tax_rate__gte=0, tax_rate__lt=100),
                name="location_tax_rate_range",
                violation_error_message="The tax rate is from 0 to 99%.",
            ),
        ),
        migrations.RemoveConstraint(
            model_name="service", name="service_deposit_within_price"
        ),
        migrations.AddField(
            model_name="service",
            name="price_minor",
            field=models.PositiveIntegerField(
                default=0,
                help_text="In the currency of each location.",
                verbose_name="price",
            ),
        ),
        migrations.AddField(
            model_name="service",
            name="deposit_minor",
            field=models.PositiveIntegerField(
                default=0,
                help_text="Taken to hold the time; part of the price, not on top of "
                "it.",
                verbose_name="deposit",
            ),
        ),
        migrations.AddField(
            model_name="appointment",
            name="deposit_paid_minor",
            field=models.PositiveIntegerField(default=0, verbose_name="deposit paid"),
        ),
        migrations.RunPython(to_minor_units, to_decimals),
        migrations.RemoveField(model_name="service", name="price"),
        migrations.RemoveField(model_name="service", name="deposit"),
        migrations.RemoveField(model_name="appointment", name="deposit_paid"),
        migrations.AddConstraint(
            model_name="service",
            constraint=models.CheckConstraint(
                condition=Q(price_minor__gte=0)
                & Q(deposit_minor__gte=0)
                & Q(deposit_minor__lte=F("price_minor")),
                name="service_deposit_within_price",
                violation_error_message="The deposit must be between 0 and the price.",
            ),
        ),
    ]
