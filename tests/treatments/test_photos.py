"""Uploads: only real JPEG, PNG or WEBP; bombs, impostors and SVG refused; EXIF gone."""

import io

import pytest
from django.core.exceptions import ValidationError
from PIL import ExifTags, Image

from clients.photos import PhotoRejected, clean_photo
from clients.services import consent_sign
from treatments import services


def jpeg_with_gps(size=(40, 20), orientation=6) -> bytes:
    picture = Image.new("RGB", size, "red")
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "PhoneCo"
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (51.0, 30.0, 12.0),
        ExifTags.GPS.GPSLongitudeRef: "W",
        ExifTags.GPS.GPSLongitude: (0.0, 7.0, 39.0),
    }
    out = io.BytesIO()
    picture.save(out, "JPEG", exif=exif)
    return out.getvalue()


def encoded(picture: Image.Image, kind: str) -> bytes:
    out = io.BytesIO()
    picture.save(out, kind)
    return out.getvalue()


def test_the_photo_is_turned_upright_and_every_exif_tag_is_gone():
    original = jpeg_with_gps()
    with Image.open(io.BytesIO(original)) as before:
        assert before.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    clean = clean_photo(original)
    with Image.open(io.BytesIO(clean.image)) as after:
        assert after.format == "JPEG"
        assert after.size == (20, 40)  # orientation 6: rotated a quarter turn
        assert dict(after.getexif()) == {}
        assert "exif" not in after.info
    assert b"PhoneCo" not in clean.image
    assert (clean.width, clean.height) == (20, 40)


def test_png_and_webp_are_accepted_and_transparency_is_flattened():
    for kind in ("PNG", "WEBP"):
        clean = clean_photo(encoded(Image.new("RGBA", (30, 30), (0, 0, 0, 0)), kind))
        with Image.open(io.BytesIO(clean.image)) as after:
            assert after.mode == "RGB"
            assert after.getpixel((5, 5)) == (255, 255, 255)


def test_a_thumbnail_is_made_no_larger_than_480_pixels():
    clean = clean_photo(encoded(Image.new("RGB", (2000, 1000), "blue"), "JPEG"))
    with Image.open(io.BytesIO(clean.thumbnail)) as thumbnail:
        assert thumbnail.size == (480, 240)


def test_a_decompression_bomb_is_refused_before_it_expands(settings):
    bomb = encoded(Image.new("1", (8000, 8000)), "PNG")
    assert len(bomb) < 100_000
    with pytest.raises(PhotoRejected, match="8000×8000 pixels"):
        clean_photo(bomb)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (encoded(Image.new("RGB", (10, 10)), "TIFF"), "this is TIFF"),
        (encoded(Image.new("RGB", (10, 10)), "GIF"), "this is GIF"),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "SVG files cannot be uploaded",
        ),
        (b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n", "this is EPS"),
        (jpeg_with_gps()[:300], "damaged or incomplete"),
        (b"", "not a photo we can read"),
    ],
    ids=["renamed-tiff", "gif", "svg", "eps", "truncated", "empty"],
)
def test_what_is_not_a_jpeg_png_or_webp_is_refused(data, message):
    with pytest.raises(PhotoRejected, match=message):
        clean_photo(data)


def test_an_oversized_file_is_refused(settings):
    settings.PHOTO_MAX_BYTES = 1000
    with pytest.raises(PhotoRejected, match="larger than"):
        clean_photo(b"\xff" * 1001)


def test_a_photo_needs_the_clients_photo_consent(jo, practitioner, consent_texts):
    with pytest.raises(ValidationError, match="not consented to photographs"):
        services.photo_add(
            client=jo, data=jpeg_with_gps(), kind="before", by=practitioner
        )
    assert not jo.photos.exists()


def test_a_consented_photo_is_stored_privately_without_exif(
    jo, practitioner, consent_texts
):
    consent_sign(
        client=jo, text=consent_texts["photos"], typed_name="Jo", by=practitioner
    )
    photo = services.photo_add(
        client=jo, data=jpeg_with_gps(), kind="before", by=practitioner
    )
    assert photo.image.name.startswith("photos/")
    assert "private" in photo.image.path
    with photo.image.open("rb") as stored:
        assert b"PhoneCo" not in stored.read()
