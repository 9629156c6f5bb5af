"""A patch test's lots point at pigments.PigmentLot (moved from treatments; the same
table, so the link table and its rows are untouched: state only)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0018_messages_moved_to_messaging"),
        ("pigments", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="patchtest",
                    name="lots",
                    field=models.ManyToManyField(
                        related_name="patch_tests", to="pigments.pigmentlot"
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
