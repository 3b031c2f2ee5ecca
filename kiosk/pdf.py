"""PDF receipts and invoices: the first page's text layer (exact, no OCR) and its picture.

A PDF made by a till or an accounting program carries its text: that text is
read as it is, and OCR only runs on a PDF that is a scan (no text layer).
Fields come from page 1; the whole file is what gets attached to the record.
Every failure is an `ImageError` with a one-line reason (encrypted, empty,
corrupt, too many pages), like any other unusable file.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kiosk.errors import ImageError

PDF_MAGIC = b"%PDF-"
MAX_PAGES = 50
"""A receipt or an invoice is a few pages; a longer file is a report or a book, refused with a reason."""
RENDER_DPI = 200
"""Receipt print (8-10 pt) reaches ~25 px capitals at this resolution: enough for the OCR, small enough to be fast."""
MAX_RENDER_SIDE = 4000
MIN_TEXT_CHARS = 12
"""Fewer letters and digits than this on page 1 is no text layer (a scan with a stray OCR word or a page number)."""


@dataclass(frozen=True)
class PdfPage:
    """Page 1 of a PDF: its text lines (empty for a scan), its picture (BGR) and how many pages the file has."""

    lines: tuple[str, ...]
    image: np.ndarray
    pages: int

    @property
    def has_text(self) -> bool:
        return sum(ch.isalnum() for line in self.lines for ch in line) >= MIN_TEXT_CHARS


def is_pdf(data: bytes) -> bool:
    """A PDF by its signature (allowed anywhere in the first KiB, as readers accept)."""
    return PDF_MAGIC in data[:1024]


def read_first_page(data: bytes, name: str = "PDF") -> PdfPage:
    """Page 1's text and picture. Raises ImageError for a PDF that cannot be used."""
    import pypdfium2 as pdfium

    if not data:
        raise ImageError(f"{name}: empty file")
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise ImageError(f"{name}: {_open_problem(exc, data)}") from None
    try:
        pages = len(document)
        if pages == 0:
            raise ImageError(f"{name}: the PDF has no pages")
        if pages > MAX_PAGES:
            raise ImageError(f"{name}: the PDF has {pages} pages; a receipt or invoice has at most {MAX_PAGES}")
        page = document[0]
        try:
            lines = _text_lines(page)
            image = _render(page, name)
        finally:
            page.close()
    except pdfium.PdfiumError as exc:
        raise ImageError(f"{name}: page 1 cannot be read ({exc})") from None
    finally:
        document.close()
    return PdfPage(lines, image, pages)


def _open_problem(exc: Exception, data: bytes) -> str:
    """PDFium's last error outlives a failure (a file after an encrypted one reads "password" too): an
    encrypted file must also carry an /Encrypt dictionary."""
    import pypdfium2.raw as raw

    code = getattr(exc, "err_code", None)
    if code in (raw.FPDF_ERR_PASSWORD, raw.FPDF_ERR_SECURITY) and b"/Encrypt" in data:
        return "the PDF is password-protected: save it without a password and try again"
    if code == raw.FPDF_ERR_FORMAT:
        return "not a readable PDF (damaged or not a PDF)"
    return "not a readable PDF"


def _text_lines(page: object) -> tuple[str, ...]:
    textpage = page.get_textpage()  # type: ignore[attr-defined]
    try:
        text = textpage.get_text_bounded()
    finally:
        textpage.close()
    return tuple(" ".join(line.split()) for line in text.replace("\r", "\n").split("\n") if line.strip())


def _render(page: object, name: str) -> np.ndarray:
    width, height = page.get_size()  # type: ignore[attr-defined]
    if width <= 0 or height <= 0:
        raise ImageError(f"{name}: page 1 has no size")
    scale = min(RENDER_DPI / 72.0, MAX_RENDER_SIDE / max(width, height))
    bitmap = page.render(scale=scale, grayscale=False)  # type: ignore[attr-defined]
    try:
        rgb = np.asarray(bitmap.to_pil().convert("RGB"))
    finally:
        bitmap.close()
    return np.ascontiguousarray(rgb[:, :, ::-1])
