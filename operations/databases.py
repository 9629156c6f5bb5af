"""Copy the database out and back in, per vendor, with the row count of every table.

PostgreSQL: `pg_dump --format=custom` inside an exported snapshot, so the counts the
manifest records are those of the very data dumped, however busy the clinic is;
`pg_restore` puts it back. SQLite (the embedded default): the online backup API,
which copies a consistent database while the app keeps writing.
"""

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper


class DatabaseCopyError(Exception):
    """A dump or restore that the database tool refused; the message says why."""


def vendor() -> str:
    return connection.vendor


def dump_file_name() -> str:
    return (
        "database.pgdump" if connection.vendor == "postgresql" else "database.sqlite3"
    )


def table_row_counts(db: BaseDatabaseWrapper = connection) -> dict[str, int]:
    """Every table of the database and its number of rows."""
    with db.cursor() as cursor:
        tables = sorted(
            name
            for name in db.introspection.table_names(cursor)
            # SQLite's own (sqlite_stat1 after ANALYZE) are not the app's data.
            if not name.startswith("sqlite_")
        )
        counts = {}
        for table in tables:
            cursor.execute(f"SELECT COUNT(*) FROM {db.ops.quote_name(table)}")  # noqa: S608
            counts[table] = cursor.fetchone()[0]
    return counts


def database_dump(path: Path) -> dict[str, int]:
    """Write the database to `path`; answer the row counts of what was written."""
    if connection.vendor == "postgresql":
        return _postgresql_dump(path)
    if connection.vendor == "sqlite":
        return _sqlite_dump(path)
    raise DatabaseCopyError(
        f"Backups support PostgreSQL and SQLite, not {connection.vendor}."
    )


def database_restore(path: Path, *, replace: bool) -> None:
    if connection.vendor == "postgresql":
        _postgresql_restore(path, replace=replace)
    elif connection.vendor == "sqlite":
        _sqlite_restore(path)
    else:
        raise DatabaseCopyError(
            f"Backups support PostgreSQL and SQLite, not {connection.vendor}."
        )


def _sqlite_dump(path: Path) -> dict[str, int]:
    source = sqlite3.connect(connection.settings_dict["NAME"])
    copy = sqlite3.connect(path)
    try:
        source.backup(copy)
        tables = [
            row[0]
            for row in copy.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        counts = {
            table: copy.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]  # noqa: S608
            for table in tables
        }
        # One self-contained file: no -wal beside it for the archive to miss.
        copy.execute("PRAGMA journal_mode=DELETE")
    finally:
        copy.close()
        source.close()
    return counts


def _sqlite_restore(path: Path) -> None:
    target = connection.settings_dict["NAME"]
    connection.close()
    source = sqlite3.connect(path)
    destination = sqlite3.connect(target)
    try:
        source.backup(destination)
    finally:
        destination.close()
        source.close()


def _pg_environment() -> dict[str, str]:
    """libpq's variables for the database Django is connected to (the password in
    the child's environment, never on its command line)."""
    settings_dict = connection.settings_dict
    variables = {
        "PGDATABASE": settings_dict["NAME"],
        "PGHOST": settings_dict.get("HOST") or "",
        "PGPORT": str(settings_dict.get("PORT") or ""),
        "PGUSER": settings_dict.get("USER") or "",
        "PGPASSWORD": settings_dict.get("PASSWORD") or "",
        "PGSSLMODE": settings_dict.get("OPTIONS", {}).get("sslmode", ""),
    }
    return {**os.environ, **{k: v for k, v in variables.items() if v}}


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise DatabaseCopyError(
            f"{name} is not installed: install the PostgreSQL client of the server's "
            "major version (apt-get install postgresql-client)."
        )
    return found


def _run(command: list[str]) -> None:
    result = subprocess.run(  # noqa: S603 - a fixed tool with argument lists
        command, env=_pg_environment(), capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        # pg_dump's and pg_restore's messages name objects, not rows.
        lines = result.stderr.strip().splitlines()[-5:]
        raise DatabaseCopyError(
            f"{Path(command[0]).name} failed (exit {result.returncode}): "
            + " / ".join(lines)
        )


def _postgresql_dump(path: Path) -> dict[str, int]:
    pg_dump = _pg_tool("pg_dump")
    raw = connection.get_new_connection(connection.get_connection_params())
    try:
        raw.set_session(isolation_level="REPEATABLE READ", readonly=True)
        with raw.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            cursor.execute(
                "SELECT tablename FROM pg_tables "
                "WHERE schemaname = ANY(current_schemas(false)) ORDER BY tablename"
            )
            tables = [row[0] for row in cursor.fetchall()]
            counts = {}
            for table in tables:
                cursor.execute(
                    f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}"  # noqa: S608
                )
                counts[table] = cursor.fetchone()[0]
            # The dump reads the same snapshot, held open by this transaction.
            _run(
                [pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={path}"]
            )
    finally:
        raw.rollback()
        raw.close()
    return counts


def _postgresql_restore(path: Path, *, replace: bool) -> None:
    pg_restore = _pg_tool("pg_restore")
    connection.close()
    command = [
        pg_restore,
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "--single-transaction",
        f"--dbname={connection.settings_dict['NAME']}",
    ]
    if replace:
        command += ["--clean", "--if-exists"]
    _run([*command, str(path)])
