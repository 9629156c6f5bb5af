"""Appointments 0008 turns decimal prices, deposits and deposits paid into integer
minor units exactly: through Decimal, never a float (0.29 * 100 is 28.99... as one,
and a cast would keep 28), and back again when the migration is reversed."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from appointments import services
from appointments.models import Location, Service
from payments.models import LedgerEntry

AT = datetime(2026, 3, 4, 13, 30, tzinfo=UTC)
BEFORE = [("appointments", "0007_appointment_calendar_sequence")]


def migrate(targets):
    MigrationExecutor(connection).migrate(targets)


def latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_decimals_become_exact_minor_units_and_back(
    frozen_now, jo, consultation, smp_session, sam, front_desk, rooms
):
    appointment = services.appointment_book(
        client=jo,
        service=consultation,
        practitioner=sam,
        starts_at=AT,
        booked_by=front_desk,
    )
    migrate(BEFORE)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE appointments_service SET price = %s, deposit = %s WHERE id = %s",
            [Decimal("450.29"), Decimal("0.29"), smp_session.pk],
        )
        cursor.execute(
            "UPDATE appointments_appointment SET deposit_paid = %s WHERE id = %s",
            [Decimal("100.10"), appointment.pk],
        )
    migrate(latest())

    smp_session = Service.objects.get(pk=smp_session.pk)
    assert (smp_session.price_minor, smp_session.deposit_minor) == (45029, 29)
    # Exactly, and on into the ledger (payments 0003).
    deposit = LedgerEntry.objects.get(appointment=appointment)
    assert (deposit.kind, deposit.amount_minor) == ("deposit", 10010)
    # An existing location keeps pounds until a manager sets its currency.
    location = Location.objects.get(pk=appointment.location_id)
    assert (location.currency, location.locale, location.tax_rate) == (
        "GBP",
        "en_GB",
        0,
    )

    migrate(BEFORE)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT price, deposit FROM appointments_service WHERE id = %s",
            [smp_session.pk],
        )
        price, deposit = cursor.fetchone()
        cursor.execute(
            "SELECT deposit_paid FROM appointments_appointment WHERE id = %s",
            [appointment.pk],
        )
        (paid,) = cursor.fetchone()
    assert Decimal(str(price)) == Decimal("450.29")
    assert Decimal(str(deposit)) == Decimal("0.29")
    assert Decimal(str(paid)) == Decimal("100.10")
    migrate(latest())
