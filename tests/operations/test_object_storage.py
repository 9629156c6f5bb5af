"""Private files in an S3-compatible bucket (MEDIA_STORAGE=s3), against moto's server
started by the test: the real boto3 and django-storages over HTTP, nothing mocked in
the process."""

import io
import os
import subprocess
import sys
from datetime import date

import pytest
import requests
from botocore.exceptions import ClientError
from django.core.files.base import ContentFile
from PIL import Image

from clients.models import Client, ConsentKind
from clients.services import consent_sign
from clients.storage import private_storage
from operations.models import BackupRun
from operations.services import backup_create
from privacy.services import client_erase
from tests.conftest import subprocess_env
from tests.operations.conftest import bucket_client
from tests.operations.targets import fresh_database, manage
from treatments import services as treatment_services

BUCKET = "clinic-private"
CREDENTIALS = {"MEDIA_S3_ACCESS_KEY_ID": "testing", "MEDIA_S3_SECRET_ACCESS_KEY": "x"}


def objects(endpoint, bucket=BUCKET) -> dict[str, bytes]:
    s3 = bucket_client(endpoint)
    listed = s3.list_objects_v2(Bucket=bucket).get("Contents", [])
    return {
        item["Key"]: s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
        for item in listed
    }


@pytest.fixture
def in_bucket(settings, s3_endpoint, backup_settings):
    settings.MEDIA_STORAGE = "s3"
    settings.MEDIA_S3_BUCKET = BUCKET
    settings.MEDIA_S3_ENDPOINT_URL = s3_endpoint
    settings.MEDIA_S3_REGION = "eu-west-2"
    settings.MEDIA_S3_ACCESS_KEY_ID = "testing"
    settings.MEDIA_S3_SECRET_ACCESS_KEY = "x"
    settings.MEDIA_S3_ADDRESSING_STYLE = "path"
    bucket_client(s3_endpoint).create_bucket(
        Bucket=BUCKET,
        CreateBucketConfiguration={"LocationConstraint": "eu-west-2"},
    )
    return s3_endpoint


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "brown").save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def photographed(db, practitioner, consent_texts):
    client = Client.objects.create(
        first_name="Jo",
        last_name="Bloggs",
        email="jo@x.test",
        date_of_birth=date(1985, 4, 30),
    )
    consent_sign(
        client=client,
        text=consent_texts[ConsentKind.PHOTOS],
        typed_name="Jo Bloggs",
        by=practitioner,
    )
    return client


def test_a_photo_goes_to_the_bucket_private_and_is_served_only_after_the_check(
    in_bucket, photographed, practitioner, front_desk, client, settings
):
    photo = treatment_services.photo_add(
        client=photographed, data=jpeg(), kind="before", by=practitioner
    )

    stored = objects(in_bucket)
    assert f"private/{photo.image.name}" in stored
    assert f"private/{photo.thumbnail.name}" in stored
    assert not (settings.MEDIA_ROOT / "private").exists()  # nothing on local disk
    s3 = bucket_client(in_bucket)
    grants = s3.get_object_acl(Bucket=BUCKET, Key=f"private/{photo.image.name}")
    assert all("URI" not in g["Grantee"] for g in grants["Grants"])  # no AllUsers
    with pytest.raises(ValueError, match="no URL"):
        photo.image.url  # noqa: B018

    client.force_login(practitioner)
    served = client.get(f"/photos/{photo.pk}/full/")
    assert served.status_code == 200
    assert b"".join(served.streaming_content) == stored[f"private/{photo.image.name}"]
    assert served["Cache-Control"] == "private, no-store"
    client.force_login(front_desk)
    assert client.get(f"/photos/{photo.pk}/full/").status_code == 403
    # Straight at the bucket, without the app's keys: refused.
    anonymous = requests.get(
        f"{in_bucket}/{BUCKET}/private/{photo.image.name}", timeout=10
    )
    assert anonymous.status_code == 403


def test_erasure_deletes_the_clients_files_from_the_bucket(
    in_bucket, photographed, practitioner, manager, django_capture_on_commit_callbacks
):
    photo = treatment_services.photo_add(
        client=photographed, data=jpeg(), kind="before", by=practitioner
    )
    private_storage().save("photos/other-client.jpg", ContentFile(b"someone else"))
    assert len(objects(in_bucket)) == 3

    with django_capture_on_commit_callbacks(execute=True):
        client_erase(
            client=photographed,
            by=manager,
            reason="Client asked",
            confirm_name=photographed.full_name,
        )

    assert set(objects(in_bucket)) == {"private/photos/other-client.jpg"}
    assert not private_storage().exists(photo.image.name)


@pytest.mark.django_db(transaction=True)
def test_a_backup_holds_the_bucket_and_restores_it_into_an_empty_one(
    in_bucket, backup_key, photographed, practitioner, tmp_path
):
    treatment_services.photo_add(
        client=photographed, data=jpeg(), kind="before", by=practitioner
    )
    private_storage().save("signatures/2026/03/a.png", ContentFile(b"\x89PNG sig"))
    before = objects(in_bucket)

    backup = backup_create()
    assert backup.files == len(before) == 3

    bucket_client(in_bucket).create_bucket(
        Bucket="clinic-restored",
        CreateBucketConfiguration={"LocationConstraint": "eu-west-2"},
    )
    with fresh_database(tmp_path) as url:
        restored = manage(
            "restore",
            str(backup.archive),
            database_url=url,
            var_dir=tmp_path / "restore-var",
            media_root=tmp_path / "unused-media",
            BACKUP_AGE_IDENTITY_FILE=str(backup_key[0]),
            MEDIA_STORAGE="s3",
            MEDIA_S3_BUCKET="clinic-restored",
            MEDIA_S3_ENDPOINT_URL=in_bucket,
            MEDIA_S3_REGION="eu-west-2",
            MEDIA_S3_ADDRESSING_STYLE="path",
            **CREDENTIALS,
        )
        assert restored.returncode == 0, restored.stderr
        again = manage(
            "restore",
            str(backup.archive),
            "--force",
            database_url=url,
            var_dir=tmp_path / "restore-var",
            media_root=tmp_path / "unused-media",
            BACKUP_AGE_IDENTITY_FILE=str(backup_key[0]),
            MEDIA_STORAGE="s3",
            MEDIA_S3_BUCKET="clinic-restored",
            MEDIA_S3_ENDPOINT_URL=in_bucket,
            MEDIA_S3_REGION="eu-west-2",
            MEDIA_S3_ADDRESSING_STYLE="path",
            **CREDENTIALS,
        )
        assert again.returncode == 0, again.stderr

    assert objects(in_bucket, "clinic-restored") == before


def test_s3_without_a_bucket_is_refused_at_start():

    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=subprocess_env(
            SECRET_KEY=os.environ["SECRET_KEY"], MEDIA_STORAGE="s3", MEDIA_S3_BUCKET=""
        ),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "MEDIA_STORAGE=s3 needs MEDIA_S3_BUCKET" in result.stderr


def test_a_bucket_that_is_gone_fails_the_backup_and_the_failure_is_recorded(
    in_bucket, db
):
    bucket_client(in_bucket).delete_bucket(Bucket=BUCKET)

    with pytest.raises(ClientError):
        backup_create()

    run = BackupRun.objects.get()
    assert run.status == BackupRun.Status.FAILED
    assert "NoSuchBucket" in run.error
