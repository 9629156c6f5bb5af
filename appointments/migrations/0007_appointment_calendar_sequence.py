from django.db import migrations, models


def from_updated_at(apps, schema_editor):
    """Calendar files sent before this field carried the appointment's updated_at
    (seconds since 1970) as their SEQUENCE: start from there, so the next file sent
    is higher and calendars still take it."""
    Appointment = apps.get_model("appointments", "Appointment")
    rows = Appointment.objects.only("pk", "updated_at").order_by("pk")
    for chunk_start in range(0, rows.count(), 1000):
        chunk = list(rows[chunk_start : chunk_start + 1000])
        for row in chunk:
            row.calendar_sequence = int(row.updated_at.timestamp())
        Appointment.objects.bulk_update(chunk, ["calendar_sequence"])


class Migration(migrations.Migration):
    dependencies = [
        ("appointments", "0006_location_phone"),
    ]

    operations = [
        migrations.AddField(
            model_name="appointment",
            name="calendar_sequence",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.RunPython(from_updated_at, migrations.RunPython.noop),
    ]
