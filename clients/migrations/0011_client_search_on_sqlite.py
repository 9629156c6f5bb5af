"""On SQLite, a full-text index of each client's names and email with the trigram
tokenizer (FTS5, SQLite 3.34 and later), kept in step by triggers. LIKE '%word%' read
all 100,000 clients for every search (57 ms); the index finds the same substrings
without reading them (bench/RESULTS.md). PostgreSQL has its trigram index (0010).
Where SQLite was built without FTS5 the search falls back to LIKE.
"""

from django.db import migrations

CREATE = [
    "CREATE VIRTUAL TABLE clients_client_search USING fts5(text, tokenize='trigram')",
    """CREATE TRIGGER clients_client_search_insert AFTER INSERT ON clients_client
    BEGIN
        INSERT INTO clients_client_search (rowid, text)
        VALUES (new.id, new.first_name || ' ' || new.last_name || ' ' || new.email);
    END""",
    """CREATE TRIGGER clients_client_search_update
    AFTER UPDATE OF first_name, last_name, email ON clients_client
    BEGIN
        UPDATE clients_client_search
        SET text = new.first_name || ' ' || new.last_name || ' ' || new.email
        WHERE rowid = new.id;
    END""",
    """CREATE TRIGGER clients_client_search_delete AFTER DELETE ON clients_client
    BEGIN
        DELETE FROM clients_client_search WHERE rowid = old.id;
    END""",
    """INSERT INTO clients_client_search (rowid, text)
    SELECT id, first_name || ' ' || last_name || ' ' || email FROM clients_client""",
]
DROP = [
    "DROP TRIGGER IF EXISTS clients_client_search_insert",
    "DROP TRIGGER IF EXISTS clients_client_search_update",
    "DROP TRIGGER IF EXISTS clients_client_search_delete",
    "DROP TABLE IF EXISTS clients_client_search",
]


def has_fts5(connection) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA compile_options")
        return any(option == "ENABLE_FTS5" for (option,) in cursor.fetchall())


def forwards(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "sqlite" or not has_fts5(connection):
        return
    for statement in CREATE:
        schema_editor.execute(statement)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for statement in DROP:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("clients", "0010_client_search_text_trigram")]

    operations = [migrations.RunPython(forwards, backwards)]
