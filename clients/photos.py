"""Photo uploads made safe: Pillow decides what a file is, never its name or the
browser. Only JPEG, PNG and WEBP are read, the pixel count is checked from the header
before any pixel is decoded (a decompression bomb never expands), the camera's
orientation is applied, and the picture is re-encoded from its pixels alone, so EXIF
(GPS position, device, owner) and anything riding in the file are gone.
"""

import io
import warnings
from dataclasses import dataclass

from django.conf import settings
from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}
THUMBNAIL_SIZE = (480, 480)
# Longest side kept: a phone's 50-megapixel frame is larger than any screen needs.
MAX_SIDE = 3000


class PhotoRejected(ValueError):
    """An upload that is not a photo we accept, with a message for the person."""


@dataclass(frozen=True)
class CleanPhoto:
    image: bytes
    thumbnail: bytes
    width: int
    height: int


def _encode(picture: Image.Image) -> bytes:
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=88, optimize=True)
    return out.getvalue()


def check_size(size: int) -> None:
    """Refuse a file by its size alone, before it is read into memory."""
    if size > settings.PHOTO_MAX_BYTES:
        raise PhotoRejected(
            f"The file is larger than {settings.PHOTO_MAX_BYTES // (1024 * 1024)} MB."
        )


def clean_photo(data: bytes) -> CleanPhoto:
    """Check and re-encode an uploaded photo as JPEG; raise PhotoRejected."""
    check_size(len(data))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                kind, (width, height) = probe.format, probe.size
                if kind not in ACCEPTED_FORMATS:
                    raise PhotoRejected(
                        "Only JPEG, PNG or WEBP photos can be uploaded"
                        f"{f' (this is {kind})' if kind else ''}."
                    )
                if width * height > settings.PHOTO_MAX_PIXELS:
                    raise PhotoRejected(
                        f"The picture is {width}×{height} pixels; the most we take "
                        f"is {settings.PHOTO_MAX_PIXELS:,} pixels."
                    )
                probe.verify()
            with Image.open(io.BytesIO(data)) as picture:
                picture.load()
                upright = ImageOps.exif_transpose(picture)
    except PhotoRejected:
        raise
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as error:
        raise PhotoRejected("This file is not a photo we can read.") from error
    except (OSError, SyntaxError, ValueError) as error:
        # Pillow reports truncated and malformed files this way.
        raise PhotoRejected("The photo is damaged or incomplete.") from error

    if upright.mode in ("RGBA", "LA", "P"):
        upright = upright.convert("RGBA")
        flat = Image.new("RGB", upright.size, "white")
        flat.paste(upright, mask=upright.getchannel("A"))
        upright = flat
    else:
        upright = upright.convert("RGB")
    upright.thumbnail((MAX_SIDE, MAX_SIDE))
    # A new image from the pixels alone: no EXIF, ICC or comment survives.
    clean = Image.frombytes("RGB", upright.size, upright.tobytes())
    thumbnail = clean.copy()
    thumbnail.thumbnail(THUMBNAIL_SIZE)
    return CleanPhoto(
        image=_encode(clean),
        thumbnail=_encode(thumbnail),
        width=clean.width,
        height=clean.height,
    )
