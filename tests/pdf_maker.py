"""Small PDFs written byte by byte for the tests: text receipts, scans, and broken files.

A PDF here is a list of objects, an xref table with their offsets, and a
trailer, as in the PDF 1.4 reference; text uses the built-in Helvetica.
"""

from __future__ import annotations

import io
import os

import numpy as np
from PIL import Image

PAGE = (226, 600)
"""A till receipt: 80 mm wide."""


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _text_stream(lines: list[str], height: int) -> bytes:
    parts = ["BT", "/F1 9 Tf", "11 TL", f"12 {height - 24} Td"]
    for line in lines:
        parts.append(f"({_escape(line)}) Tj T*")
    parts.append("ET")
    return "\n".join(parts).encode("latin-1")


def build(pages: list[list[str]], *, encrypt: bool = False, size: tuple[int, int] = PAGE) -> bytes:
    """A PDF whose pages carry these text lines; `encrypt`: a user password is needed to open it."""
    width, height = size
    objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", b""]
    kids = []
    font = 3
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for lines in pages:
        stream = _text_stream(lines, height)
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        content = len(objects)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>"
            % (width, height, font, content)
        )
        kids.append(len(objects))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), len(kids))
    extra = b""
    if encrypt:
        objects.append(b"<< /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P -4 >>" % (os.urandom(32).hex().encode(), os.urandom(32).hex().encode()))
        extra = b" /Encrypt %d 0 R /ID [<%s> <%s>]" % (len(objects), b"00" * 16, b"00" * 16)
    return _assemble(objects, extra)


def _assemble(objects: list[bytes], trailer_extra: bytes = b"") -> bytes:
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, trailer_extra, xref))
    return out.getvalue()


def scanned(image: np.ndarray, dpi: int = 200) -> bytes:
    """An image-only PDF, as a scanner or a phone's "save as PDF" makes (BGR in)."""
    out = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image[:, :, ::-1])).save(out, "PDF", resolution=dpi)
    return out.getvalue()


def no_pages() -> bytes:
    return _assemble([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"])
