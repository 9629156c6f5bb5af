"""Pigments and lots, taken over from the treatments app with their tables as they
are (db_table keeps the old names): no table is created, no row moves. Their content
types follow, so permissions and audit entries still point at them."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


MOVED = ["pigment", "pigmentlot"]


def _relabel(apps, old: str, new: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    taken = set(
        ContentType.objects.filter(app_label=new, model__in=MOVED).values_list(
            "model", flat=True
        )
    )
    ContentType.objects.filter(app_label=old, model__in=set(MOVED) - taken).update(
        app_label=new
    )


def content_types_follow(apps, schema_editor):
    _relabel(apps, "treatments", "pigments")


def content_types_return(apps, schema_editor):
    _relabel(apps, "pigments", "treatments")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Pigment",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("brand", models.CharField(max_length=100)),
                        ("shade", models.CharField(max_length=100)),
                        ("ingredients", models.TextField(blank=True)),
                        ("warnings", models.TextField(blank=True)),
                        (
                            "shelf_life_days",
                            models.PositiveSmallIntegerField(
                                blank=True,
                                help_text="Days a bottle may be used once opened (from the label); empty when the label gives none.",
                                null=True,
                            ),
                        ),
                        ("is_active", models.BooleanField(default=True)),
                    ],
                    options={
                        "db_table": "treatments_pigment",
                        "ordering": ["brand", "shade"],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("brand", "shade"), name="pigment_unique"
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="PigmentLot",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("lot_number", models.CharField(max_length=64)),
                        ("expires_on", models.DateField()),
                        ("opened_on", models.DateField(blank=True, null=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("in_use", "In use"),
                                    ("quarantined", "Quarantined"),
                                    ("recalled", "Recalled"),
                                ],
                                default="in_use",
                                max_length=12,
                            ),
                        ),
                        ("status_reason", models.CharField(blank=True, max_length=300)),
                        (
                            "status_changed_at",
                            models.DateTimeField(blank=True, null=True),
                        ),
                        (
                            "pigment",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="lots",
                                to="pigments.pigment",
                            ),
                        ),
                        (
                            "status_changed_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "treatments_pigmentlot",
                        "ordering": ["pigment", "-expires_on", "lot_number"],
                        "indexes": [
                            models.Index(
                                fields=["lot_number"], name="pigment_lot_number"
                            )
                        ],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("pigment", "lot_number"),
                                name="pigment_lot_unique",
                            ),
                            models.CheckConstraint(
                                condition=models.Q(
                                    ("opened_on__isnull", True),
                                    ("opened_on__lte", models.F("expires_on")),
                                    _connector="OR",
                                ),
                                name="pigment_lot_opened_before_expiry",
                            ),
                            models.CheckConstraint(
                                condition=models.Q(
                                    (
                                        "status__in",
                                        ["in_use", "quarantined", "recalled"],
                                    )
                                ),
                                name="pigment_lot_status",
                            ),
                            models.CheckConstraint(
                                condition=models.Q(
                                    ("status", "in_use"),
                                    models.Q(
                                        models.Q(("status_reason", ""), _negated=True),
                                        ("status_changed_at__isnull", False),
                                    ),
                                    _connector="OR",
                                ),
                                name="pigment_lot_status_has_reason",
                                violation_error_message="Say why the lot is quarantined or recalled.",
                            ),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_follow, content_types_return),
    ]
