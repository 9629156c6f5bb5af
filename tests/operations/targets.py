"""A fresh, empty database for a restore to go into, the restore command run as an
operator runs it (its own process, pointed at that database and a new media root),
and fingerprints of databases and folders read with the drivers directly, not
through the code under test."""

import contextlib
import hashlib
import os
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path
from urllib.parse import quote, urlsplit

import psycopg2
from django.db import connection

from tests.conftest import subprocess_env
from tests.processes import BASE_DIR, worker_database_url


@contextlib.contextmanager
def fresh_database(tmp_path: Path):
    """The URL of an empty database of the test's vendor, dropped afterwards."""
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    s = connection.settings_dict
    name = f"{s['NAME']}_restore_{os.getpid()}"[:63]
    admin = _pg_connect(s, "postgres")
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{name}"')
        credentials = quote(s["USER"] or "")
        if s["PASSWORD"]:
            credentials += ":" + quote(s["PASSWORD"])
        yield (
            f"postgres://{credentials}@{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}"
            f"/{name}"
        )
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _pg_connect(settings_dict, name):
    return psycopg2.connect(
        dbname=name,
        host=settings_dict["HOST"] or None,
        port=settings_dict["PORT"] or None,
        user=settings_dict["USER"] or None,
        password=settings_dict["PASSWORD"] or None,
    )


def manage(*args: str, database_url: str, var_dir: Path, media_root: Path, **env):
    var_dir.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [sys.executable, str(BASE_DIR / "manage.py"), *args],
        cwd=BASE_DIR,
        env=subprocess_env(
            DATABASE_URL=database_url,
            SECRET_KEY=os.environ["SECRET_KEY"],
            VAR_DIR=str(var_dir),
            MEDIA_ROOT=str(media_root),
            LOG_LEVEL="WARNING",
            **env,
        ),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def source_database_url() -> str:
    return worker_database_url()


@contextlib.contextmanager
def _open(url: str):
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        db = sqlite3.connect(parts.path)
        try:
            yield (
                db,
                [
                    row[0]
                    for row in db.execute(
                        "SELECT name FROM sqlite_master WHERE type = 'table' "
                        "AND name NOT LIKE 'sqlite_%'"
                    )
                ],
            )
        finally:
            db.close()
        return
    s = connection.settings_dict
    db = _pg_connect(s, parts.path.lstrip("/"))
    try:
        with db.cursor() as cursor:
            cursor.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            )
            yield db, [row[0] for row in cursor.fetchall()]
    finally:
        db.close()


def database_fingerprint(url: str) -> dict[str, Counter]:
    """Every table's rows, each as a checksum of its values (a multiset)."""
    tables: dict[str, Counter] = {}
    with _open(url) as (db, names):
        cursor = db.cursor()
        for table in sorted(names):
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608
            tables[table] = Counter(
                hashlib.sha256(repr(tuple(row)).encode()).hexdigest()
                for row in cursor.fetchall()
            )
        cursor.close()
    return tables


def folder_fingerprint(root: Path) -> dict[str, tuple[str, int]]:
    """Every file under `root`: its sha256 and size, by relative path."""
    return {
        str(path.relative_to(root)): (
            hashlib.sha256(path.read_bytes()).hexdigest(),
            path.stat().st_size,
        )
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }
