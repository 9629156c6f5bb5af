"""Set-up -> Clinic name and logo: a manager names the clinic and uploads its logo,
which every page header shows (staff pages, the portal, online booking). The logo
goes through the photos' checks: re-encoded from its pixels, size-limited, SVG
refused; a refused upload changes nothing."""

import io

import pytest
from auditlog.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from core import clinic
from core.models import ClinicProfile

HOSTILE = 'Hair & <script>alert("x")</script> Ünïcode'


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def picture(kind: str = "PNG", size=(900, 300), **save) -> bytes:
    image = Image.new("RGBA" if kind == "PNG" else "RGB", size, (29, 95, 99))
    out = io.BytesIO()
    image.save(out, kind, **save)
    return out.getvalue()


def post(client, **data):
    return client.post("/setup/clinic/", data)


def test_without_a_setting_pages_show_the_default_name_and_mark(client, manager):
    client.force_login(manager)
    page = client.get("/setup/clinic/").text
    assert "SMP Clinic" in page
    assert "img/clinic-mark.svg" in page


def test_a_manager_names_the_clinic_and_every_header_shows_it_escaped(client, manager):
    client.force_login(manager)
    response = post(client, name=HOSTILE)
    assert response.status_code == 302
    assert ClinicProfile.objects.get().name == HOSTILE
    page = client.get("/").text
    escaped = "Hair &amp; &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Ünïcode"
    assert escaped in page
    assert "<script>alert" not in page
    client.logout()
    # The online booking page and the portal's sign-in page, signed out.
    for path in ("/book/", "/my/sign-in/"):
        assert "Hair &amp; &lt;script&gt;" in client.get(path).text, path


def test_the_change_is_in_the_audit_trail(client, manager):
    client.force_login(manager)
    post(client, name="Scalp Studio")
    entry = LogEntry.objects.get_for_model(ClinicProfile).get()
    assert entry.actor == manager
    assert "Scalp Studio" in str(entry.changes)


def test_a_blank_name_is_refused_and_nothing_changes(client, manager):
    client.force_login(manager)
    response = post(client, name="   ")
    assert response.status_code == 200
    assert "Give the clinic a name." in response.text
    assert not ClinicProfile.objects.exists()


def test_a_logo_is_re_encoded_as_a_png_and_served_publicly(client, manager):
    client.force_login(manager)
    jpeg = picture("JPEG", size=(2000, 1000), comment=b"secret owner")
    post(client, name="Scalp Studio", logo=SimpleUploadedFile("l.jpg", jpeg))
    identity = clinic.clinic_identity()
    assert identity.logo_version
    page = client.get("/").text
    assert identity.logo_url in page
    client.logout()
    response = client.get(identity.logo_url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert "immutable" in response["Cache-Control"]
    body = response.content
    assert b"secret owner" not in body
    with Image.open(io.BytesIO(body)) as logo:
        assert logo.format == "PNG"
        assert max(logo.size) == 512
    assert identity.email_logo_url.startswith("http")
    # Another version of the URL is nothing.
    assert client.get("/clinic/logo/000000000000.png").status_code == 404


def test_a_new_logo_replaces_the_old_file_and_removing_it_brings_back_the_mark(
    client, manager, tmp_path, django_capture_on_commit_callbacks
):
    client.force_login(manager)
    post(client, name="A", logo=SimpleUploadedFile("a.png", picture()))
    first = ClinicProfile.objects.get().logo.name
    with django_capture_on_commit_callbacks(execute=True):
        post(client, name="A", logo=SimpleUploadedFile("b.png", picture(size=(64, 64))))
    second = ClinicProfile.objects.get().logo.name
    assert first != second
    private = tmp_path / "private"
    assert not (private / first).exists()
    assert (private / second).exists()
    post(client, name="A", remove_logo="on")
    assert not ClinicProfile.objects.get().logo
    assert "img/clinic-mark.svg" in client.get("/").text


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        (
            "logo.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "SVG files cannot be uploaded",
        ),
        ("logo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "not a logo we can read"),
        ("logo.gif", b"GIF89a" + picture("GIF")[6:], "Only JPEG, PNG or WEBP logos"),
    ],
)
def test_a_file_that_is_not_an_accepted_picture_is_refused_and_nothing_changes(
    client, manager, name, data, message
):
    client.force_login(manager)
    post(client, name="Before")
    response = post(client, name="After", logo=SimpleUploadedFile(name, data))
    assert response.status_code == 200
    assert message in response.text
    profile = ClinicProfile.objects.get()
    assert profile.name == "Before"
    assert not profile.logo


def test_a_logo_over_the_size_limit_is_refused(client, manager, settings):
    settings.PHOTO_MAX_BYTES = 1000
    client.force_login(manager)
    response = post(
        client, name="X", logo=SimpleUploadedFile("l.png", picture(size=(300, 300)))
    )
    assert "The logo is larger than" in response.text
    assert not ClinicProfile.objects.exists()


@pytest.mark.parametrize("role", ["front_desk", "practitioner"])
def test_only_a_manager_may_change_it(client, request, role):
    client.force_login(request.getfixturevalue(role))
    assert post(client, name="Mine now").status_code == 403
    assert not ClinicProfile.objects.exists()


def test_the_500_page_names_the_clinic_from_the_cache(client, manager):
    client.force_login(manager)
    post(client, name="Scalp Studio")
    client.get("/")
    assert clinic.cached_clinic_name() == "Scalp Studio"
