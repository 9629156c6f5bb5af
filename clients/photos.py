"""Photo uploads made safe: Pillow decides what a file is, never its name or the
browser. Only JPEG, PNG and WEBP are read, the pixel count is checked from the header
before any pixel is decoded (a decompression bomb never expands), the camera's
orientation is applied, and the picture is re-encoded from its pixels alone, so EXIF
(GPS position, device, owner) and anything riding in the file are gone.
"""

import io
from dataclasses import dataclass

from PIL import Image

from core.images import ImageRejected, open_checked, pixels_only
from core.images import check_size as _check_size

THUMBNAIL_SIZE = (480, 480)
# Longest side kept: a phone's 50-megapixel frame is larger than any screen needs.
MAX_SIDE = 3000

# The checks are core.images' (the clinic's logo goes through the same ones).
PhotoRejected = ImageRejected


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
    _check_size(size)


def clean_photo(data: bytes) -> CleanPhoto:
    """Check and re-encode an uploaded photo as JPEG; raise PhotoRejected."""
    upright = open_checked(data, noun="photo")
    if upright.mode in ("RGBA", "LA", "P"):
        upright = upright.convert("RGBA")
        flat = Image.new("RGB", upright.size, "white")
        flat.paste(upright, mask=upright.getchannel("A"))
        upright = flat
    else:
        upright = upright.convert("RGB")
    upright.thumbnail((MAX_SIDE, MAX_SIDE))
    clean = pixels_only(upright, "RGB")
    thumbnail = clean.copy()
    thumbnail.thumbnail(THUMBNAIL_SIZE)
    return CleanPhoto(
        image=_encode(clean),
        thumbnail=_encode(thumbnail),
        width=clean.width,
        height=clean.height,
    )
