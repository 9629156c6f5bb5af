import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0014_photo_view"),
        ("treatments", "0005_session_client"),
    ]

    operations = [
        migrations.AlterField(
            model_name="treatmentsession",
            name="client",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="treatment_sessions",
                to="clients.client",
            ),
        ),
        migrations.AlterField(
            model_name="treatmentsession",
            name="plan",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="sessions",
                to="treatments.treatmentplan",
            ),
        ),
        migrations.AlterField(
            model_name="treatmentsession",
            name="needle",
            field=models.CharField(blank=True, max_length=60),
        ),
    ]
