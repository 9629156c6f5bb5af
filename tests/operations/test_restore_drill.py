"""The restore drill: seed the demo, back up, restore into a fresh database and media
root as an operator would (`manage.py restore` in its own process), and compare every
table's rows and every file's bytes. It prints the figures for CI's log."""

import time
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import call_command

from operations.services import backup_create
from tests.operations.targets import (
    database_fingerprint,
    folder_fingerprint,
    fresh_database,
    manage,
    source_database_url,
)


@pytest.mark.django_db(transaction=True)
def test_a_backup_of_the_demo_restores_with_nothing_lost(
    settings, backup_settings, backup_key, tmp_path, capsys
):
    call_command("seed_demo", "--scale", "small", stdout=open("/dev/null", "w"))  # noqa: SIM115
    source_rows = database_fingerprint(source_database_url())
    source_files = folder_fingerprint(Path(settings.MEDIA_ROOT) / "private")

    started = time.monotonic()
    backup = backup_create()
    backed_up = time.monotonic()
    restored_media = tmp_path / "restored-media"
    with fresh_database(tmp_path) as target_url:
        restore = manage(
            "restore",
            str(backup.archive),
            database_url=target_url,
            var_dir=tmp_path / "restore-var",
            media_root=restored_media,
            BACKUP_AGE_IDENTITY_FILE=str(backup_key[0]),
        )
        restored = time.monotonic()
        assert restore.returncode == 0, restore.stderr
        target_rows = database_fingerprint(target_url)
        migrations = manage(
            "migrate",
            "--check",
            database_url=target_url,
            var_dir=tmp_path / "restore-var",
            media_root=restored_media,
        )
    target_files = folder_fingerprint(restored_media / "private")

    rows = sum(sum(table.values()) for table in source_rows.values())
    lost_rows = sum(
        sum((rows_ - target_rows.get(table, Counter())).values())
        for table, rows_ in source_rows.items()
    )
    changed_files = sum(
        target_files.get(name) != digest for name, digest in source_files.items()
    )
    with capsys.disabled():
        print(
            f"\nrestore drill: tables {len(source_rows)}, rows {rows}, files "
            f"{len(source_files)}, bytes {backup.media_bytes} of media and "
            f"{backup.archive_bytes} archived; backup {backed_up - started:.2f} s, "
            f"restore {restored - backed_up:.2f} s; rows lost or changed {lost_rows}, "
            f"files lost or changed {changed_files}"
        )
    assert set(target_rows) == set(source_rows)
    assert target_rows == source_rows
    assert target_files == source_files
    assert lost_rows == 0 and changed_files == 0
    # The drill is worth something only with data in it: the demo's thousands of
    # rows and its session photos.
    assert rows > 5000
    assert len(source_files) > 20
    assert backup.rows == rows
    # The restored database is at the code's migrations: the app can start on it.
    assert migrations.returncode == 0, migrations.stdout + migrations.stderr
