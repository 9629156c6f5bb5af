"""On PostgreSQL, one trigram index on UPPER(first_name || ' ' || last_name || ' ' ||
email) in place of one per column. With one index per column a two-word search was six
bitmap scans, and once the planner had statistics it chose to read the whole table
instead (37 ms at 100,000 clients, against 1.6 ms through this index: bench/RESULTS.md).
The phone keeps its own index (digits, matched with `contains`).
"""

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import migrations
from django.db.models.functions import Upper

from clients.models import search_text

OLD_FIELDS = ["first_name", "last_name", "email"]


def old_index(field):
    return GinIndex(
        OpClass(Upper(field), name="gin_trgm_ops"), name=f"client_{field}_trgm"
    )


NEW_INDEX = GinIndex(
    OpClass(Upper(search_text()), name="gin_trgm_ops"), name="client_search_trgm"
)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    Client = apps.get_model("clients", "Client")
    schema_editor.add_index(Client, NEW_INDEX)
    for field in OLD_FIELDS:
        schema_editor.remove_index(Client, old_index(field))


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    Client = apps.get_model("clients", "Client")
    for field in OLD_FIELDS:
        schema_editor.add_index(Client, old_index(field))
    schema_editor.remove_index(Client, NEW_INDEX)


class Migration(migrations.Migration):
    dependencies = [("clients", "0009_client_erasure")]

    operations = [migrations.RunPython(forwards, backwards)]
