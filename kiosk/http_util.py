"""What the kiosk's HTTP clients (the remote OCR client and the sync targets) share.

- `parse_retry_after`: the wait a `Retry-After` header asks for;
- `error_detail`: the short human text out of an error answer's JSON;
- `sniff_image`: what kind of image some bytes are, for a content type or a file name.

Core module: `kiosk.ocr` and `kiosk.sync` both use it and may not import each
other. No numpy or PIL here, so the sync service stays light.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

__all__ = ["DETAIL_CHARS", "ImageType", "error_detail", "parse_retry_after", "sniff_image"]

DETAIL_CHARS = 160
"""How much of a server's own error text goes into a message (`error_detail`'s default cut)."""


def parse_retry_after(value: str | None, now: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait from a `Retry-After` header (seconds or an HTTP date); None when absent or unreadable.

    A time in the past, or a negative number, is 0; a number that is not finite is unreadable.
    """
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - now()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def error_detail(data: Any, limit: int | None = DETAIL_CHARS) -> str:
    """The server's own error text from a parsed JSON answer, as one line; "" when it gave none.

    The first of `error`, `detail` and `message` that is non-blank text, its
    white space folded, cut to `limit` characters (None: not cut, for a
    caller that takes personal data out first and cuts after). A value that
    is not text (a validation error list, which may echo what was sent) is
    passed over, as is any answer that is not a JSON object.
    """
    if isinstance(data, Mapping):
        for key in ("error", "detail", "message"):
            value = data.get(key)
            if isinstance(value, str) and value.strip():
                text = " ".join(value.split())
                return text if limit is None else text[:limit]
    return ""


@dataclass(frozen=True)
class ImageType:
    """An image format told by its first bytes."""

    name: str
    """`jpeg`, `png` or `webp`."""
    mimetype: str
    extension: str
    """The usual file extension, without the dot."""


JPEG = ImageType("jpeg", "image/jpeg", "jpg")
PNG = ImageType("png", "image/png", "png")
WEBP = ImageType("webp", "image/webp", "webp")
PDF = ImageType("pdf", "application/pdf", "pdf")
"""Not an image, but a document file attached as it is (a PDF receipt or invoice)."""


def sniff_image(data: bytes) -> ImageType | None:
    """JPEG, PNG, WebP or PDF by the file's signature (magic bytes), else None."""
    if data[:3] == b"\xff\xd8\xff":
        return JPEG
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return PNG
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data[:5] == b"%PDF-":
        return PDF
    return None
