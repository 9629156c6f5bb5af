"""Uploaded pictures made safe, whatever they are for (a client's photo, the clinic's
logo): Pillow decides what a file is, never its name or the browser. Only JPEG, PNG
and WEBP are read (an SVG is refused: it is a document that can carry scripts), the
size is checked before the file is read, the pixel count from the header before any
pixel is decoded (a decompression bomb never expands), the camera's orientation is
applied, and the caller re-encodes from the pixels alone, so EXIF (GPS position,
device, owner) and anything riding in the file are gone.
"""

import io
import warnings

from django.conf import settings
from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}


class ImageRejected(ValueError):
    """An upload that is not a picture we accept, with a message for the person."""


def check_size(size: int, *, noun: str = "file") -> None:
    """Refuse a file by its size alone, before it is read into memory."""
    if size > settings.PHOTO_MAX_BYTES:
        raise ImageRejected(
            f"The {noun} is larger than {settings.PHOTO_MAX_BYTES // (1024 * 1024)} MB."
        )


def open_checked(data: bytes, *, noun: str = "photo") -> Image.Image:
    """The upright, fully decoded picture in `data`; raise ImageRejected with a
    message naming the `noun` when it is not one we accept."""
    check_size(len(data))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                kind, (width, height) = probe.format, probe.size
                if kind not in ACCEPTED_FORMATS:
                    raise ImageRejected(
                        f"Only JPEG, PNG or WEBP {noun}s can be uploaded"
                        f"{f' (this is {kind})' if kind else ''}."
                    )
                if width * height > settings.PHOTO_MAX_PIXELS:
                    raise ImageRejected(
                        f"The picture is {width}×{height} pixels; the most we take "
                        f"is {settings.PHOTO_MAX_PIXELS:,} pixels."
                    )
                probe.verify()
            with Image.open(io.BytesIO(data)) as picture:
                picture.load()
                return ImageOps.exif_transpose(picture)
    except ImageRejected:
        raise
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as error:
        if b"<svg" in data[:4096].lower():
            raise ImageRejected(
                f"SVG files cannot be uploaded (they can carry scripts); upload the "
                f"{noun} as a PNG, JPEG or WEBP."
            ) from error
        raise ImageRejected(f"This file is not a {noun} we can read.") from error
    except (OSError, SyntaxError, ValueError) as error:
        # Pillow reports truncated and malformed files this way.
        raise ImageRejected(f"The {noun} is damaged or incomplete.") from error


def pixels_only(picture: Image.Image, mode: str) -> Image.Image:
    """A new image from the pixels alone: no EXIF, ICC or comment survives."""
    return Image.frombytes(mode, picture.size, picture.convert(mode).tobytes())


# A header shows the logo 2.5rem high, an email 48 px: 512 px is ample at 3x.
LOGO_SIDE = 512


def clean_logo(data: bytes) -> bytes:
    """Check an uploaded logo as photos are checked and re-encode it as a PNG at most
    LOGO_SIDE a side, keeping its transparency; raise ImageRejected."""
    picture = open_checked(data, noun="logo").convert("RGBA")
    picture.thumbnail((LOGO_SIDE, LOGO_SIDE))
    out = io.BytesIO()
    pixels_only(picture, "RGBA").save(out, "PNG", optimize=True)
    return out.getvalue()
