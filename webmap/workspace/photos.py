"""Residents' photos: decoded (the real type, not the name), bounded, re-encoded, stored.

Why re-encode: a JPEG straight from a phone carries EXIF (often the GPS position of the
person's home and the phone's serial); writing only the pixels into a new JPEG drops every
metadata block. Decoding before anything else also refuses files that only claim to be images.
"""

from __future__ import annotations

import io
import uuid
import warnings
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from geo.atomic import write_bytes_atomic
from geo.errors import CulturamapError

MAX_BYTES = 5 * 1024 * 1024  # what a phone photo weighs; more is refused
MAX_PIXELS = 40_000_000  # decoded size (a 40 MP photo); a "decompression bomb" is refused
MAX_SIDE = 1600  # stored photos fit in 1600 x 1600
FORMATS = ("JPEG", "PNG", "WEBP")
FOLDER = "participation-photos"  # inside the data folder
QUALITY = 85


class PhotoError(CulturamapError, ValueError):
    """A photo cannot be accepted; the message says why and what to do, in both languages."""

    def __init__(self, es: str, en: str) -> None:
        super().__init__(f"{es} / {en}")
        self.es, self.en = es, en


def clean_photo(content: bytes) -> bytes:
    """The photo as a new JPEG of at most MAX_SIDE pixels a side, without metadata."""
    if len(content) > MAX_BYTES:
        raise PhotoError(f"la foto pesa más de {MAX_BYTES // (1024 * 1024)} MB; envíe una más "
                         "liviana", f"the photo is larger than {MAX_BYTES // (1024 * 1024)} "
                         "MB; send a smaller one")
    not_image = PhotoError("el archivo no es una foto JPEG, PNG o WebP legible",
                           "the file is not a readable JPEG, PNG or WebP photo")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(content))
            if image.format not in FORMATS:
                raise not_image
            if image.width * image.height > MAX_PIXELS:
                raise PhotoError(f"la foto tiene más de {MAX_PIXELS // 1_000_000} megapíxeles",
                                 f"the photo has more than {MAX_PIXELS // 1_000_000} megapixels")
            image.load()  # decodes every pixel: a truncated or fake file fails here
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        if isinstance(exc, PhotoError):
            raise
        raise not_image from None
    image = ImageOps.exif_transpose(image)  # keep it upright once the orientation tag is gone
    image = image.convert("RGB")
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=QUALITY, optimize=True)  # no exif= : nothing carried over
    return out.getvalue()


def store_photo(data_dir: Path | str, content: bytes) -> str:
    """Clean and write the photo (atomically) under the data folder; its new file name."""
    cleaned = clean_photo(content)
    name = f"{uuid.uuid4().hex}.jpg"
    write_bytes_atomic(Path(data_dir) / FOLDER / name, cleaned)
    return name


def photo_path(data_dir: Path | str, name: str) -> Path | None:
    """The stored file of ``name`` (only names this module makes), else None."""
    stem = name.removesuffix(".jpg")
    if len(stem) != 32 or not all(c in "0123456789abcdef" for c in stem):
        return None
    path = Path(data_dir) / FOLDER / name
    return path if path.is_file() else None
