"""The client search's trigram full-text index on SQLite (FTS5), kept in step by
triggers on clients_client (first created by migration 0011).

SQLite cannot alter most columns in place, so Django's schema editor rebuilds a table
to add a field with a default, and a rebuild drops the table's triggers: after
clients 0021 the index silently stopped learning new and renamed clients.
`ensure_index` runs after every `migrate` (post_migrate) and, whenever a trigger is
missing, whatever migration removed it, creates the index afresh from the table.
"""

from django.db import connections

TABLE = "clients_client_search"
TRIGGERS = {
    "clients_client_search_insert": """
        CREATE TRIGGER clients_client_search_insert AFTER INSERT ON clients_client
        BEGIN
            INSERT INTO clients_client_search (rowid, text)
            VALUES (new.id, new.first_name || ' ' || new.last_name || ' ' || new.email);
        END""",
    "clients_client_search_update": """
        CREATE TRIGGER clients_client_search_update
        AFTER UPDATE OF first_name, last_name, email ON clients_client
        BEGIN
            UPDATE clients_client_search
            SET text = new.first_name || ' ' || new.last_name || ' ' || new.email
            WHERE rowid = new.id;
        END""",
    "clients_client_search_delete": """
        CREATE TRIGGER clients_client_search_delete AFTER DELETE ON clients_client
        BEGIN
            DELETE FROM clients_client_search WHERE rowid = old.id;
        END""",
}

CREATE_TABLE = (
    "CREATE VIRTUAL TABLE clients_client_search USING fts5(text, tokenize='trigram')"
)
FILL = """
    INSERT INTO clients_client_search (rowid, text)
    SELECT id, first_name || ' ' || last_name || ' ' || email FROM clients_client"""
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


def present(connection) -> set[str]:
    """The index's table and triggers that exist in this database."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE tbl_name IN (%s, %s)",
            ["clients_client", TABLE],
        )
        return {name for (name,) in cursor.fetchall()} & {TABLE, *TRIGGERS}


def ensure_index(using: str = "default", **kwargs) -> bool:
    """Create the table, triggers and contents afresh if any trigger is missing.
    Returns whether it had to."""
    connection = connections[using]
    if connection.vendor != "sqlite" or not has_fts5(connection):
        return False
    if present(connection) >= {TABLE, *TRIGGERS}:
        return False
    with connection.cursor() as cursor:
        for statement in [*DROP, CREATE_TABLE, *TRIGGERS.values(), FILL]:
            cursor.execute(statement)
    return True
