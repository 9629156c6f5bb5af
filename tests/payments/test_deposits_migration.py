"""Payments 0003 moves the deposits paid, a number on each appointment before the
ledger, into ledger rows, and appointments 0010 drops the number; reversed, the
numbers come back and the rows go."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from appointments import services
from payments.models import LedgerEntry

AT = datetime(2026, 3, 4, 13, 30, tzinfo=UTC)
BEFORE = [("payments", "0002_ledger_append_only")]


def migrate(targets):
    MigrationExecutor(connection).migrate(targets)


def latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_deposits_paid_become_ledger_rows_and_back(
    frozen_now, jo, consultation, sam, front_desk, rooms
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
            "UPDATE appointments_appointment SET deposit_paid_minor = 10010 "
            "WHERE id = %s",
            [appointment.pk],
        )
    migrate(latest())

    entry = LedgerEntry.objects.get()
    assert (entry.kind, entry.amount_minor, entry.currency) == ("deposit", 10010, "GBP")
    assert (entry.appointment_id, entry.client_id) == (appointment.pk, jo.pk)
    assert entry.method == "unrecorded" and entry.recorded_by is None

    migrate(BEFORE)
    assert not LedgerEntry.objects.exists()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT deposit_paid_minor FROM appointments_appointment WHERE id = %s",
            [appointment.pk],
        )
        assert cursor.fetchone() == (10010,)
    migrate(latest())
    assert LedgerEntry.objects.count() == 1
