"""Loading images from files or bytes into BGR arrays, with EXIF orientation applied.

Every failure is an `ImageError` with a one-line reason, so the command line
and the UI can say what is wrong with the file and carry on.
"""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from kiosk.errors import ImageError
from kiosk.pdf import is_pdf, read_first_page

SUPPORTED_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".pdf")
"""Image files, and PDFs (their first page: see `kiosk.pdf`)."""
MAX_PIXELS = 100_000_000
DRAFT_PIXELS = 16_000_000
"""JPEGs larger than this are decoded at half size (an A4 scan at 600 dpi, 35 megapixels, becomes 8.7): every reader
shrinks further anyway, and the full decode held some 400 MB while reading a receipt."""
MIN_SIDE = 8


def load_image(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an image file (or a PDF's first page) as a BGR uint8 array, upright per its EXIF orientation."""
    return decode_image(read_file_bytes(path), str(path))


def read_file_bytes(path: str | os.PathLike[str]) -> bytes:
    """The bytes of a file the kiosk can read (by its suffix); ImageError naming what is wrong otherwise."""
    path = Path(path)
    if not path.exists():
        raise ImageError(f"{path}: file not found")
    if path.is_dir():
        raise ImageError(f"{path}: is a folder, not an image")
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise ImageError(
            f"{path}: unsupported format {path.suffix or '(no extension)'}; use {', '.join(SUPPORTED_SUFFIXES)}"
        )
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ImageError(f"{path}: cannot read: {exc.strerror}") from None


def decode_image(data: bytes, name: str = "image") -> np.ndarray:
    """Decode encoded image bytes (JPEG, PNG, ..., or a PDF's first page) to BGR uint8."""
    if not data:
        raise ImageError(f"{name}: empty file")
    if is_pdf(data):
        return read_first_page(data, name).image
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ImageError(
                    f"{name}: image too large ({width}x{height}, limit {MAX_PIXELS // 1_000_000} megapixels)"
                )
            if min(width, height) < MIN_SIDE:
                raise ImageError(f"{name}: image too small ({width}x{height})")
            if image.format == "JPEG" and width * height > DRAFT_PIXELS:
                image.draft("RGB", (width // 2, height // 2))  # decoded at half size by the JPEG decoder itself
            image.load()
            image = ImageOps.exif_transpose(image)
    except ImageError:
        raise
    except UnidentifiedImageError:
        raise ImageError(f"{name}: not an image, or a format this kiosk cannot read") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError(f"{name}: image too large (limit {MAX_PIXELS // 1_000_000} megapixels)") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageError(f"{name}: damaged or truncated image ({exc})") from None
    return pil_to_bgr(image)


def pil_to_bgr(image: Image.Image) -> np.ndarray:
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, image)
    if image.mode != "RGB":
        image = image.convert("RGB")
    rgb = np.asarray(image, dtype=np.uint8)
    return np.ascontiguousarray(rgb[:, :, ::-1])
