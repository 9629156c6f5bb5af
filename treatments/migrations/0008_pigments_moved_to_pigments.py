"""Pigments and lots moved to the pigments app (issue 19: a patch test in clients,
below treatments, records lots). Only Django's state changes: the tables, their rows
and their names stay (pigments 0001 takes them over with the same db_table); the
session's lot points at the moved model."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0019_patch_test_lots_from_pigments"),
        ("messaging", "0002_recall_lot_from_pigments"),
        ("pigments", "0001_initial"),
        ("treatments", "0007_session_needles"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name="pigmentlot",
                    name="pigment",
                ),
                migrations.RemoveField(
                    model_name="pigmentlot",
                    name="status_changed_by",
                ),
                migrations.AlterField(
                    model_name="sessionpigment",
                    name="lot",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="uses",
                        to="pigments.pigmentlot",
                    ),
                ),
                migrations.DeleteModel(
                    name="Pigment",
                ),
                migrations.DeleteModel(
                    name="PigmentLot",
                ),
            ],
            database_operations=[],
        ),
    ]
