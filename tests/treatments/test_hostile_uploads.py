"""A corpus of hostile files posted to every upload of the app: each one refused with
a message or stored cleaned, never a server error. The counts are printed for CI."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from clients.models import Contraindication
from clients.services import consent_sign
from tests.treatments.test_photos import encoded, jpeg_with_gps
from treatments.models import Photo

PAYLOAD = b"<script>alert(1)</script><?php system($_GET['c']); ?>"


def polyglot() -> bytes:
    """A real JPEG with HTML, PHP and a zip archive after its end marker: viewers show
    the picture, a server that serves it back as-is serves the rest too."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("shell.php", PAYLOAD)
    return (
        encoded(Image.new("RGB", (30, 30), "blue"), "JPEG")
        + PAYLOAD
        + archive.getvalue()
    )


def huge_header() -> bytes:
    """A PNG whose header claims 60000 × 60000 pixels and whose data is cut short."""
    return (
        encoded(Image.new("1", (60000, 1)), "PNG")[:16]
        + (60000).to_bytes(4, "big")
        + b"\x00" * 64
    )


CORPUS = {
    "decompression-bomb.png": encoded(Image.new("1", (8000, 8000)), "PNG"),
    "huge-header.png": huge_header(),
    "polyglot.jpg": polyglot(),
    "script.svg": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "renamed-tiff.jpg": encoded(Image.new("RGB", (10, 10)), "TIFF"),
    "renamed-eps.jpg": b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n",
    "renamed-html.jpg": b"<!doctype html><html><body>" + PAYLOAD + b"</body></html>",
    "renamed-pdf.jpg": b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n",
    "truncated.jpg": jpeg_with_gps()[:300],
    "empty.jpg": b"",
    "null-bytes.jpg": b"\x00" * 4096,
    "oversized.jpg": b"\xff\xd8\xff" + b"\x00" * 70_000,
    "gps-exif.jpg": jpeg_with_gps(),
}
# Stored only after re-encoding: the picture kept, everything else gone.
CLEANED = {"polyglot.jpg", "gps-exif.jpg"}


@pytest.fixture
def consented(jo, practitioner, consent_texts, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.PHOTO_MAX_BYTES = 64_000
    consent_sign(
        client=jo, text=consent_texts["photos"], typed_name="Jo", by=practitioner
    )
    return jo


def test_every_hostile_photo_is_refused_or_cleaned(
    client, practitioner, consented, capsys
):
    client.force_login(practitioner)
    outcomes = {"refused": 0, "cleaned": 0, "server errors": 0}
    for name, data in CORPUS.items():
        response = client.post(
            reverse("photos", args=[consented.pk]),
            {
                "image": SimpleUploadedFile(name, data, "image/jpeg"),
                "kind": "before",
                "view": "front",
            },
        )
        if response.status_code >= 500:
            outcomes["server errors"] += 1
        elif name in CLEANED:
            assert response.status_code == 302, name
            outcomes["cleaned"] += 1
        else:
            assert response.status_code == 422, name
            assert 'class="invalid-feedback' in response.text, name
            outcomes["refused"] += 1

    stored = Photo.objects.filter(client=consented)
    assert stored.count() == len(CLEANED)
    for photo in stored:
        body = photo.image.read()
        assert PAYLOAD not in body and b"PK\x03\x04" not in body
        assert b"PhoneCo" not in body
    assert outcomes == {
        "refused": len(CORPUS) - len(CLEANED),
        "cleaned": len(CLEANED),
        "server errors": 0,
    }
    with capsys.disabled():
        print(
            f"\nhostile uploads (photos): {len(CORPUS)} files; refused "
            f"{outcomes['refused']}, cleaned {outcomes['cleaned']}, server errors "
            f"{outcomes['server errors']}"
        )


def test_every_hostile_document_is_refused_or_kept_for_download_only(
    client, practitioner, consented, capsys
):
    """A doctor's letter is kept as sent (PDF, JPEG or PNG by its first bytes) and
    only ever served as a download with nosniff, never shown in the page."""
    client.force_login(practitioner)
    counts = {"refused": 0, "kept": 0, "server errors": 0}
    for name, data in CORPUS.items():
        item = Contraindication.objects.create(
            client=consented,
            kind="blood_thinners",
            severity="clearance",
            recorded_by=practitioner,
        )
        response = client.post(
            reverse("contraindication_clear", args=[item.pk]),
            {
                "document": SimpleUploadedFile(name, data, "image/jpeg"),
                "cleared_on": "2026-03-01",
            },
        )
        if response.status_code >= 500:
            counts["server errors"] += 1
        elif response.status_code == 302:
            counts["kept"] += 1
            item.refresh_from_db()
            served = client.get(reverse("contraindication_document", args=[item.pk]))
            assert served["Content-Disposition"].startswith("attachment"), name
            assert served["X-Content-Type-Options"] == "nosniff", name
        else:
            assert response.status_code == 422, name
            counts["refused"] += 1
    # Kept: what starts as a PDF, JPEG or PNG (the polyglot, the renamed PDF, the
    # truncated and GPS photos, and the big PNG files, none of them ever decoded).
    assert counts["server errors"] == 0
    assert counts["kept"] + counts["refused"] == len(CORPUS)
    with capsys.disabled():
        print(
            f"hostile uploads (documents): {len(CORPUS)} files; refused "
            f"{counts['refused']}, kept for download only {counts['kept']}, server "
            f"errors {counts['server errors']}"
        )


@pytest.mark.parametrize("route", ["photos", "contraindication_clear"])
def test_101_files_in_one_request_are_refused_whole(
    client, practitioner, consented, route
):
    target = consented.pk
    if route == "contraindication_clear":
        target = Contraindication.objects.create(
            client=consented,
            kind="blood_thinners",
            severity="clearance",
            recorded_by=practitioner,
        ).pk
    client.force_login(practitioner)
    files = [
        SimpleUploadedFile(f"p{n}.jpg", jpeg_with_gps(), "image/jpeg")
        for n in range(101)
    ]
    response = client.post(
        reverse(route, args=[target]),
        {
            "image": files,
            "document": files,
            "kind": "before",
            "view": "front",
            "cleared_on": "2026-03-01",
        },
    )
    assert response.status_code == 400
    assert not Photo.objects.exists()
