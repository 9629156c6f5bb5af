import django.db.models.deletion
from django.db import migrations, models


def clients_from_plans(apps, schema_editor):
    TreatmentSession = apps.get_model("treatments", "TreatmentSession")
    TreatmentPlan = apps.get_model("treatments", "TreatmentPlan")
    for plan_id, client_id in TreatmentPlan.objects.values_list("pk", "client_id"):
        TreatmentSession.objects.filter(plan_id=plan_id).update(client_id=client_id)


# The backfill and the NOT NULL that follows are two migrations, so two transactions:
# PostgreSQL refuses to alter a table with the backfill's deferred foreign-key checks
# still pending in the same one.
class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0014_photo_view"),
        ("treatments", "0004_photo_view"),
    ]

    operations = [
        migrations.AddField(
            model_name="treatmentsession",
            name="client",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="treatment_sessions",
                to="clients.client",
            ),
        ),
        migrations.RunPython(clients_from_plans, migrations.RunPython.noop),
    ]
