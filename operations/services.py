"""Backups and restores: every write of the operations app.

`backup_create` is what `manage.py backup` and the daily task run; `backup_restore`
is `manage.py restore`. Figures and file names are logged, never rows or file
contents.
"""

import logging
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.core.files import File
from django.core.files.storage import Storage
from django.db import connection, transaction
from django.utils import timezone

from clients.storage import private_storage
from operations import databases, retention
from operations.archive import (
    ArchiveError,
    ArchiveReader,
    ArchiveWriter,
    Manifest,
    created_at_text,
    identities_read,
    recipients_parse,
    seal,
    unseal,
)
from operations.databases import DatabaseCopyError
from operations.models import BackupRun

logger = logging.getLogger(__name__)


class BackupError(Exception):
    """A backup or restore refused or failed; the message tells the operator why."""


@dataclass(frozen=True)
class BackupResult:
    archive: Path
    tables: int
    rows: int
    files: int
    media_bytes: int
    archive_bytes: int
    seconds: float
    pruned: list[str]


@dataclass(frozen=True)
class RestoreResult:
    created_at: str
    tables: int
    rows: int
    files: int
    media_bytes: int
    seconds: float


def storage_file_names(storage: Storage, folder: str = "") -> list[str]:
    """Every file in the storage, by name, sorted."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return []
    names = [f"{folder}/{name}" if folder else name for name in files]
    for sub in folders:
        names += storage_file_names(storage, f"{folder}/{sub}" if folder else sub)
    return sorted(names)


def backup_create(*, folder: Path | None = None) -> BackupResult:
    """Write one encrypted archive of the database and the private media to the
    backup folder, record the run, and delete what the retention policy lets go."""
    started_at = timezone.now()
    clock = time.monotonic()
    try:
        result = _backup_write(
            folder=Path(folder or settings.BACKUP_DIR),
            started_at=started_at,
            clock=clock,
        )
    except (ArchiveError, DatabaseCopyError, OSError) as error:
        _backup_failure_record(started_at, error)
        raise BackupError(str(error)) from error
    except Exception as error:
        # An object store or database that fails mid-way (botocore, psycopg2):
        # recorded for the dashboard, then raised as it came for the traceback.
        _backup_failure_record(started_at, error)
        raise
    logger.info(
        "backup written: %s (%d rows, %d files, %d bytes, %.1f s)",
        result.archive.name,
        result.rows,
        result.files,
        result.archive_bytes,
        result.seconds,
    )
    return result


def _backup_failure_record(started_at, error: Exception) -> None:
    message = f"{type(error).__name__}: {error}"
    BackupRun.objects.create(
        started_at=started_at,
        finished_at=timezone.now(),
        status=BackupRun.Status.FAILED,
        error=message[:2000],
    )
    logger.error("backup failed: %s", message)


def _backup_write(*, folder: Path, started_at, clock: float) -> BackupResult:
    recipients = recipients_parse(settings.BACKUP_AGE_RECIPIENTS)
    folder.mkdir(parents=True, exist_ok=True)
    destination = folder / retention.archive_name(started_at)
    if destination.exists():
        raise ArchiveError(f"{destination.name} exists already: one backup a second.")
    storage = private_storage()
    with tempfile.TemporaryDirectory(prefix="smp-backup-") as scratch:
        work = Path(scratch)
        dump = work / databases.dump_file_name()
        tables = databases.database_dump(dump)
        writer = ArchiveWriter(work / "archive.tar")
        database_sha256, database_bytes = writer.add_database(dump)
        dump.unlink()
        for name in storage_file_names(storage):
            try:
                stream = storage.open(name, "rb")
            except FileNotFoundError:
                # Deleted since it was listed (an erasure, after the dump was taken):
                # the next backup has the rows without it.
                continue
            with stream:
                writer.add_media(name, stream, storage.size(name))
        manifest = Manifest(
            created_at=created_at_text(started_at),
            database_vendor=connection.vendor,
            database_member=dump.name,
            database_sha256=database_sha256,
            database_bytes=database_bytes,
            tables=tables,
            media=writer.media,
        )
        writer.finish(manifest)
        seal(writer.tar_path, destination, recipients)
    archive_bytes = destination.stat().st_size
    BackupRun.objects.create(
        started_at=started_at,
        finished_at=timezone.now(),
        status=BackupRun.Status.SUCCEEDED,
        archive_name=destination.name,
        archive_bytes=archive_bytes,
        database_rows=manifest.rows,
        media_files=len(manifest.media),
        media_bytes=manifest.media_bytes,
    )
    pruned = backups_prune(folder=folder)
    return BackupResult(
        archive=destination,
        tables=len(tables),
        rows=manifest.rows,
        files=len(manifest.media),
        media_bytes=manifest.media_bytes,
        archive_bytes=archive_bytes,
        seconds=time.monotonic() - clock,
        pruned=pruned,
    )


def backups_prune(*, folder: Path) -> list[str]:
    """Delete the archives in `folder` that the retention policy does not keep;
    answer their names. Files that are not archives are left alone."""
    names = [path.name for path in folder.iterdir() if path.is_file()]
    archives = [name for name in names if retention.archive_created_at(name)]
    keep = retention.archives_to_keep(
        archives,
        daily=settings.BACKUP_KEEP_DAILY,
        weekly=settings.BACKUP_KEEP_WEEKLY,
        monthly=settings.BACKUP_KEEP_MONTHLY,
    )
    pruned = sorted(set(archives) - keep)
    for name in pruned:
        (folder / name).unlink(missing_ok=True)
    return pruned


def backup_restore(
    *, archive: Path, identity_file: Path | None = None, force: bool = False
) -> RestoreResult:
    """Restore an archive into the configured database and private media folder.

    Everything is checked before anything is written: the key opens the archive,
    every member matches its checksum, and the targets are empty (unless `force`).
    After the restore every table's row count is compared with the manifest.
    """
    clock = time.monotonic()
    key_path = identity_file or (
        Path(settings.BACKUP_AGE_IDENTITY_FILE)
        if settings.BACKUP_AGE_IDENTITY_FILE
        else None
    )
    if key_path is None:
        raise BackupError(
            "No key to decrypt with: pass --identity FILE or set "
            "BACKUP_AGE_IDENTITY_FILE to the age private key file."
        )
    storage = private_storage()
    with tempfile.TemporaryDirectory(prefix="smp-restore-") as scratch:
        work = Path(scratch)
        try:
            identities = identities_read(key_path)
            unseal(archive, work / "archive.tar", identities)
            reader = ArchiveReader(work / "archive.tar")
        except ArchiveError as error:
            raise BackupError(str(error)) from error
        try:
            manifest = reader.manifest
            if manifest.database_vendor != connection.vendor:
                raise BackupError(
                    f"The archive holds a {manifest.database_vendor} database; this "
                    f"app is configured for {connection.vendor}. Point DATABASE_URL "
                    f"at an empty {manifest.database_vendor} database."
                )
            _refuse_unless_empty(storage, force=force)
            dump = reader.extract_database(work)
            try:
                databases.database_restore(dump, replace=force)
            except DatabaseCopyError as error:
                raise BackupError(str(error)) from error
            dump.unlink()
            _check_row_counts(manifest)
            for entry, stream in reader.media_files():
                if force and storage.exists(entry.name):
                    storage.delete(entry.name)
                content = File(stream, name=entry.name)
                content.size = entry.bytes
                saved = storage.save(entry.name, content)
                if saved != entry.name:
                    raise BackupError(
                        f"The media folder stored {entry.name} as {saved}: restore "
                        "into an empty media folder."
                    )
        finally:
            reader.close()
    # What the cache holds (signed-in users and their roles, sessions, rendered
    # calendars) describes the database before the restore: forget it, or a session
    # made after the archive would still read as signed in.
    cache.clear()
    result = RestoreResult(
        created_at=manifest.created_at,
        tables=len(manifest.tables),
        rows=manifest.rows,
        files=len(manifest.media),
        media_bytes=manifest.media_bytes,
        seconds=time.monotonic() - clock,
    )
    logger.info(
        "backup restored: made %s (%d rows, %d files)",
        result.created_at,
        result.rows,
        result.files,
    )
    return result


def _refuse_unless_empty(storage: Storage, *, force: bool) -> None:
    if force:
        return
    tables = connection.introspection.table_names()
    if tables:
        raise BackupError(
            f"The database {connection.settings_dict['NAME']} is not empty "
            f"({len(tables)} tables). Restore into an empty database, or pass --force "
            "to replace what it holds. Nothing was restored."
        )
    files = storage_file_names(storage)
    if files:
        raise BackupError(
            f"The private media folder is not empty ({len(files)} files). Restore "
            "into an empty folder, or pass --force to replace them. Nothing was "
            "restored."
        )


def _check_row_counts(manifest: Manifest) -> None:
    with transaction.atomic():
        counts = databases.table_row_counts()
    if counts != manifest.tables:
        differing = sorted(
            table
            for table in set(counts) | set(manifest.tables)
            if counts.get(table) != manifest.tables.get(table)
        )
        raise BackupError(
            f"The restored database differs from the archive's manifest in "
            f"{len(differing)} table(s), first {differing[0]}: the restore is not "
            "complete."
        )
