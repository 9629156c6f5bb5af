import io
import json
import stat
import tarfile
from datetime import UTC, datetime, timedelta
from io import StringIO

import pyrage
import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from pyrage import x25519

from clients.storage import private_storage
from operations import services
from operations.archive import MANIFEST
from operations.models import BackupRun
from operations.retention import archive_name
from operations.services import BackupError, backup_create, backup_restore
from tests.operations.conftest import write_key
from tests.operations.targets import fresh_database, manage

PHOTO = b"\xff\xd8\xff\xe0 a photo of a scalp, session 2 \xff\xd9" * 50
PHOTO_NAME = "photos/2026/03/client-7-before.jpg"


@pytest.fixture
def archive(backup_settings, manager):
    private_storage().save(PHOTO_NAME, ContentFile(PHOTO))
    return backup_create().archive


def reseal(archive, key_path, public, change):
    """Decrypt an archive, let `change` edit its members, encrypt it again to the
    same key: an archive that age accepts but whose content was tampered with."""
    identity = x25519.Identity.from_str(key_path.read_text().splitlines()[-1])
    plain = pyrage.decrypt(archive.read_bytes(), [identity])
    members = {}
    with tarfile.open(fileobj=io.BytesIO(plain)) as tar:
        for member in tar.getmembers():
            members[member.name] = tar.extractfile(member).read()
    change(members)
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    archive.write_bytes(
        pyrage.encrypt(out.getvalue(), [x25519.Recipient.from_str(public)])
    )


def test_the_archive_holds_nothing_readable_on_the_host_that_made_it(archive, manager):
    raw = archive.read_bytes()

    assert raw.startswith(b"age-encryption.org/v1\n")
    assert manager.email.encode() not in raw
    assert b"a photo of a scalp" not in raw
    assert b"SQLite format" not in raw and b"PGDMP" not in raw
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600


def test_a_wrong_key_cannot_decrypt_it(archive, tmp_path):
    other = tmp_path / "other-key.txt"
    write_key(other, x25519.Identity.generate())

    with pytest.raises(BackupError, match="not encrypted to the key given"):
        backup_restore(archive=archive, identity_file=other)


def test_a_key_file_that_holds_no_age_key_is_refused_without_echoing_it(
    archive, tmp_path
):
    bad = tmp_path / "bad-key.txt"
    bad.write_text("AGE-SECRET-KEY-1NOTAKEYATALLBUTSECRETLOOKING\n")

    with pytest.raises(BackupError) as refused:
        backup_restore(archive=archive, identity_file=bad)
    assert "not an age private key" in str(refused.value)
    assert "SECRETLOOKING" not in str(refused.value)


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(
            lambda raw: raw[:500] + bytes([raw[500] ^ 1]) + raw[501:], id="bit"
        ),
        pytest.param(lambda raw: raw[: len(raw) // 2], id="truncated"),
        pytest.param(lambda raw: b"not an archive at all", id="garbage"),
    ],
)
def test_a_damaged_archive_is_refused_with_a_clear_message(archive, damage, settings):
    archive.write_bytes(damage(archive.read_bytes()))
    settings.MEDIA_ROOT = archive.parent / "empty-media"

    with pytest.raises(BackupError, match="damaged"):
        backup_restore(archive=archive)
    assert not (archive.parent / "empty-media").exists()


def test_a_file_that_does_not_match_its_checksum_is_refused(archive, backup_key):
    def swap_photo(members):
        data = members["media/" + PHOTO_NAME]
        members["media/" + PHOTO_NAME] = data[:-1] + b"X"

    reseal(archive, *backup_key, swap_photo)

    with pytest.raises(BackupError, match=f"media/{PHOTO_NAME} does not match"):
        backup_restore(archive=archive)


def test_a_manifest_naming_a_file_outside_the_media_folder_is_refused(
    archive, backup_key
):
    def escape(members):
        manifest = json.loads(members[MANIFEST])
        manifest["media"][0]["name"] = "../../settings.py"
        members[MANIFEST] = json.dumps(manifest).encode()
        members["media/../../settings.py"] = members.pop("media/" + PHOTO_NAME)

    reseal(archive, *backup_key, escape)

    with pytest.raises(BackupError, match="outside the media folder"):
        backup_restore(archive=archive)


def test_a_file_the_manifest_does_not_list_is_refused(archive, backup_key):
    reseal(archive, *backup_key, lambda m: m.update({"media/extra.jpg": b"x"}))

    with pytest.raises(BackupError, match="does not list"):
        backup_restore(archive=archive)


def test_restore_into_a_non_empty_database_is_refused_and_writes_nothing(
    archive, settings, manager, django_user_model
):
    settings.MEDIA_ROOT = archive.parent / "empty-media"
    users = django_user_model.objects.count()

    with pytest.raises(BackupError, match=r"is not empty .* --force"):
        backup_restore(archive=archive)

    assert django_user_model.objects.count() == users
    assert not (archive.parent / "empty-media").exists()


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_non_empty_media_folder_and_force_replaces_both(
    backup_settings, backup_key, make_staff, tmp_path
):
    make_staff(None, username="kept-in-backup")
    private_storage().save(PHOTO_NAME, ContentFile(PHOTO))
    archive = backup_create().archive
    media = tmp_path / "restored-media"
    (media / "private/photos").mkdir(parents=True)
    (media / "private/photos/stray.jpg").write_bytes(b"already here")
    with fresh_database(tmp_path) as url:

        def restore(*extra):
            return manage(
                "restore",
                str(archive),
                *extra,
                database_url=url,
                var_dir=tmp_path / "restore-var",
                media_root=media,
                BACKUP_AGE_IDENTITY_FILE=str(backup_key[0]),
            )

        refused = restore()
        assert refused.returncode != 0
        assert "media folder is not empty (1 files)" in refused.stderr
        assert "Traceback" not in refused.stderr
        # Nothing was written: the database is still empty, so a retry may go on.
        assert restore().returncode != 0
        assert "media folder is not empty" in restore().stderr

        (media / "private/photos/stray.jpg").unlink()
        assert restore().returncode == 0
        again = restore()
        assert again.returncode != 0
        assert "is not empty" in again.stderr and "--force" in again.stderr

        forced = restore("--force")
        assert forced.returncode == 0, forced.stderr
        assert "rows" in forced.stdout
    assert (media / "private" / PHOTO_NAME).read_bytes() == PHOTO


def test_without_a_key_no_backup_is_made_and_the_failure_is_recorded(
    backup_settings, db
):
    backup_settings.BACKUP_AGE_RECIPIENTS = []

    with pytest.raises(BackupError, match="BACKUP_AGE_RECIPIENTS"):
        backup_create()

    run = BackupRun.objects.get()
    assert run.status == BackupRun.Status.FAILED
    assert "BACKUP_AGE_RECIPIENTS" in run.error
    assert not backup_settings.BACKUP_DIR.exists() or not any(
        backup_settings.BACKUP_DIR.iterdir()
    )


def test_a_recipient_that_is_not_an_age_key_is_refused(backup_settings, db):
    backup_settings.BACKUP_AGE_RECIPIENTS = ["ssh-rsa AAAA"]

    with pytest.raises(BackupError, match="not an age public key"):
        backup_create()


def test_the_command_prints_its_figures_and_refuses_clearly(backup_settings, db):
    out = StringIO()
    call_command("backup", stdout=out)
    assert "rows" in out.getvalue() and "files 0" in out.getvalue()
    assert BackupRun.objects.get().status == BackupRun.Status.SUCCEEDED

    backup_settings.BACKUP_AGE_RECIPIENTS = []
    with pytest.raises(CommandError, match="No backup key"):
        call_command("backup", stdout=StringIO())


def test_a_backup_deletes_the_archives_retention_lets_go_and_nothing_else(
    backup_settings, db
):
    folder = backup_settings.BACKUP_DIR
    folder.mkdir()
    now = datetime.now(UTC)
    old = [now - timedelta(days=n) for n in range(1, 61)]
    for at in old:
        (folder / archive_name(at)).write_bytes(b"old")
    (folder / "README.txt").write_text("the operator's notes")

    result = backup_create()

    left = sorted(p.name for p in folder.iterdir())
    assert "README.txt" in left
    assert result.archive.name in left
    # Today's, 6 more days, and the newest of older weeks and months.
    assert 7 + 2 <= len(left) - 1 <= 7 + 4 + 3
    assert len(result.pruned) == 61 - (len(left) - 1)
    assert archive_name(old[0]) in left and archive_name(old[-1]) not in left


def test_the_beat_runs_a_backup_daily():
    from smp_clinic.celery import app

    entry = app.conf.beat_schedule["backup-daily"]
    app.loader.import_default_modules()
    assert entry["task"] in app.tasks
    assert entry["schedule"].hour == {2}


def test_backup_keygen_writes_a_private_key_only_its_owner_reads(tmp_path):
    out = StringIO()
    call_command("backup_keygen", str(tmp_path / "key.txt"), stdout=out)

    public = out.getvalue().strip().removeprefix("BACKUP_AGE_RECIPIENTS=")
    identity = x25519.Identity.from_str(
        (tmp_path / "key.txt").read_text().splitlines()[-1]
    )
    assert str(identity.to_public()) == public
    assert stat.S_IMODE((tmp_path / "key.txt").stat().st_mode) == 0o600
    with pytest.raises(CommandError, match="exists already"):
        call_command("backup_keygen", str(tmp_path / "key.txt"), stdout=StringIO())


@pytest.mark.parametrize(
    ("hours_ago", "shown"), [(25, "Up to date"), (27, "Overdue"), (None, "None yet")]
)
def test_the_managers_dashboard_turns_red_after_26_hours_without_a_backup(
    client, manager, backup_settings, hours_ago, shown
):
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    if hours_ago is not None:
        at = now - timedelta(hours=hours_ago)
        BackupRun.objects.create(
            started_at=at,
            finished_at=at,
            status=BackupRun.Status.SUCCEEDED,
            archive_name=archive_name(at),
        )
    client.force_login(manager)
    with time_machine.travel(now, tick=False):
        page = client.get("/").content.decode()

    status = page.split('id="backup-status"')[1].split("</dd>")[0]
    assert shown in status
    assert ("text-danger" in status) == (shown != "Up to date")


def test_a_file_deleted_while_the_backup_runs_is_left_out_not_a_failure(
    backup_settings, db, monkeypatch
):
    private_storage().save(PHOTO_NAME, ContentFile(PHOTO))
    listed = services.storage_file_names

    def listing_with_a_file_erased_meanwhile(storage, folder=""):
        return [*listed(storage, folder), "photos/2026/03/erased-meanwhile.jpg"]

    monkeypatch.setattr(
        services, "storage_file_names", listing_with_a_file_erased_meanwhile
    )

    result = backup_create()

    assert result.files == 1
    assert BackupRun.objects.get().status == BackupRun.Status.SUCCEEDED
