"""On PostgreSQL, make two blocking appointments that overlap for one practitioner or one
room impossible, buffers included. SQLite has no exclusion constraints: there the booking
service checks and inserts inside one write-locked transaction.

The constraints are added with schema_editor here rather than in Meta.constraints, where
every database backend would have to understand them.
"""

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import (
    DateTimeRangeField,
    RangeBoundary,
    RangeOperators,
)
from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations
from django.db.models import Func, Q

BLOCKING = ["booked", "confirmed", "checked_in", "completed"]


class TsTzRange(Func):
    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


def held():
    return TsTzRange("busy_starts_at", "busy_ends_at", RangeBoundary())


CONSTRAINTS = [
    ExclusionConstraint(
        name="appointment_no_practitioner_overlap",
        expressions=[
            (held(), RangeOperators.OVERLAPS),
            ("practitioner", RangeOperators.EQUAL),
        ],
        condition=Q(status__in=BLOCKING, overlap_approved_by__isnull=True),
    ),
    ExclusionConstraint(
        name="appointment_no_room_overlap",
        expressions=[(held(), RangeOperators.OVERLAPS), ("room", RangeOperators.EQUAL)],
        condition=Q(
            status__in=BLOCKING, overlap_approved_by__isnull=True, room__isnull=False
        ),
    ),
]


def add_constraints(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    Appointment = apps.get_model("appointments", "Appointment")
    for constraint in CONSTRAINTS:
        schema_editor.add_constraint(Appointment, constraint)


def remove_constraints(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    Appointment = apps.get_model("appointments", "Appointment")
    for constraint in CONSTRAINTS:
        schema_editor.remove_constraint(Appointment, constraint)


class Migration(migrations.Migration):
    dependencies = [("appointments", "0001_initial")]

    operations = [
        BtreeGistExtension(),
        migrations.RunPython(add_constraints, remove_constraints),
    ]
