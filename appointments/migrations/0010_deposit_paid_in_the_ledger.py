"""A deposit paid is a ledger row now (payments 0003 copies them there first)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("appointments", "0009_service_meeting_and_video_link")]

    operations = [
        migrations.RemoveField(model_name="appointment", name="deposit_paid_minor"),
    ]
