"""Deposits paid were a number on the appointment; they become ledger rows (a
deposit, how it was paid not recorded), and appointments 0010 drops the number, so a
balance is only ever a sum of the ledger."""

from django.db import migrations


def into_the_ledger(apps, schema_editor):
    Appointment = apps.get_model("appointments", "Appointment")
    LedgerEntry = apps.get_model("payments", "LedgerEntry")
    paid = (
        Appointment.objects.filter(deposit_paid_minor__gt=0)
        .values_list(
            "pk",
            "client_id",
            "location_id",
            "location__currency",
            "deposit_paid_minor",
            "created_at",
        )
        .order_by("pk")
    )
    batch = []
    for pk, client, location, currency, minor, created_at in paid.iterator(2000):
        batch.append(
            LedgerEntry(
                kind="deposit",
                amount_minor=minor,
                currency=currency,
                method="unrecorded",
                client_id=client,
                appointment_id=pk,
                location_id=location,
                reason="Recorded on the appointment before the ledger.",
                recorded_at=created_at,
            )
        )
        if len(batch) == 2000:
            LedgerEntry.objects.bulk_create(batch)
            batch = []
    LedgerEntry.objects.bulk_create(batch)


def out_of_the_ledger(apps, schema_editor):
    Appointment = apps.get_model("appointments", "Appointment")
    LedgerEntry = apps.get_model("payments", "LedgerEntry")
    moved = LedgerEntry.objects.filter(method="unrecorded", kind="deposit")
    for entry in moved:
        Appointment.objects.filter(pk=entry.appointment_id).update(
            deposit_paid_minor=entry.amount_minor
        )
    # Back on the appointment, so out of the ledger (the trigger allows it here).
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SELECT set_config('smp.ledger_purge', 'on', true)")
    moved.delete()
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SELECT set_config('smp.ledger_purge', '', true)")


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0002_ledger_append_only"),
        ("appointments", "0008_amounts_in_minor_units"),
    ]
    run_before = [("appointments", "0010_deposit_paid_in_the_ledger")]

    operations = [migrations.RunPython(into_the_ledger, out_of_the_ledger)]
