"""Appointments awaiting their deposit (paid by card online) hold their time: the new
status, its end (held_until), and on PostgreSQL the no-overlap exclusion constraints
of migration 0002 rebuilt to count the new status as live."""

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import (
    DateTimeRangeField,
    RangeBoundary,
    RangeOperators,
)
from django.db import migrations, models
from django.db.models import Func, Q


class TsTzRange(Func):
    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


def held():
    return TsTzRange("busy_starts_at", "busy_ends_at", RangeBoundary())


BLOCKING_BEFORE = ["booked", "confirmed", "checked_in", "completed"]
BLOCKING = ["awaiting_deposit", *BLOCKING_BEFORE]


def constraints(statuses):
    return [
        ExclusionConstraint(
            name="appointment_no_practitioner_overlap",
            expressions=[
                (held(), RangeOperators.OVERLAPS),
                ("practitioner", RangeOperators.EQUAL),
            ],
            condition=Q(status__in=statuses, overlap_approved_by__isnull=True),
        ),
        ExclusionConstraint(
            name="appointment_no_room_overlap",
            expressions=[
                (held(), RangeOperators.OVERLAPS),
                ("room", RangeOperators.EQUAL),
            ],
            condition=Q(
                status__in=statuses,
                overlap_approved_by__isnull=True,
                room__isnull=False,
            ),
        ),
    ]


def _swap(apps, schema_editor, old, new):
    if schema_editor.connection.vendor != "postgresql":
        return
    Appointment = apps.get_model("appointments", "Appointment")
    for constraint in constraints(old):
        schema_editor.remove_constraint(Appointment, constraint)
    for constraint in constraints(new):
        schema_editor.add_constraint(Appointment, constraint)


def count_holds_as_live(apps, schema_editor):
    _swap(apps, schema_editor, BLOCKING_BEFORE, BLOCKING)


def count_holds_as_before(apps, schema_editor):
    _swap(apps, schema_editor, BLOCKING, BLOCKING_BEFORE)


class Migration(migrations.Migration):
    dependencies = [
        ("appointments", "0012_location_legal_name_and_tax_number"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="appointment",
            name="appointment_status_valid",
        ),
        migrations.AddField(
            model_name="appointment",
            name="held_until",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AlterField(
            model_name="appointment",
            name="status",
            field=models.CharField(
                choices=[
                    ("awaiting_deposit", "Awaiting deposit"),
                    ("booked", "Booked"),
                    ("confirmed", "Confirmed"),
                    ("checked_in", "Checked in"),
                    ("completed", "Completed"),
                    ("no_show", "No-show"),
                    ("cancelled", "Cancelled"),
                ],
                default="booked",
                max_length=16,
            ),
        ),
        migrations.AddConstraint(
            model_name="appointment",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "status__in",
                        [
                            "awaiting_deposit",
                            "booked",
                            "confirmed",
                            "checked_in",
                            "completed",
                            "no_show",
                            "cancelled",
                        ],
                    )
                ),
                name="appointment_status_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="appointment",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status", "awaiting_deposit"), _negated=True),
                    ("held_until__isnull", False),
                    _connector="OR",
                ),
                name="appointment_hold_has_an_end",
            ),
        ),
        migrations.RunPython(count_holds_as_live, count_holds_as_before),
    ]
