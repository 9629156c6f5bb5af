"""On PostgreSQL, trigram GIN indexes serve the client search, so search as you type
stays fast at 100,000 clients: on UPPER(column) for the names and email (`icontains`
compiles to UPPER(column) LIKE UPPER('%word%')), on the column itself for the phone
(digits, matched with `contains`). SQLite scans: fine at a single clinic's size.
"""

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations
from django.db.models import F
from django.db.models.functions import Upper

FIELDS = ["first_name", "last_name", "email", "phone"]


def index(field):
    expression = F(field) if field == "phone" else Upper(field)
    return GinIndex(
        OpClass(expression, name="gin_trgm_ops"), name=f"client_{field}_trgm"
    )


def add_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    Client = apps.get_model("clients", "Client")
    for field in FIELDS:
        schema_editor.add_index(Client, index(field))


def remove_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    Client = apps.get_model("clients", "Client")
    for field in FIELDS:
        schema_editor.remove_index(Client, index(field))


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0002_intake_contraindications_suitability_patch_tests_consents")
    ]

    operations = [
        TrigramExtension(),
        migrations.RunPython(add_indexes, remove_indexes),
    ]
