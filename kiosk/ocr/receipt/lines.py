"""Rebuilding receipt rows from the OCR engine's text boxes.

The detector returns words and phrases as separate boxes: a label on the left
and its price far to the right, a currency code apart from its amount. Rows
are rebuilt by position, after undoing the page's small skew, so a
right-aligned price stays with the label on its row; a lone currency code is
joined to the amount next to it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from kiosk.ocr.engine.geometry import group_rows
from kiosk.ocr.engine.types import TextLine

__all__ = ["Cell", "Row", "build_rows", "rows_from_text", "skew_angle"]

_CURRENCY_ONLY = re.compile(r"^\(?(RM|MYR|USD|US\$|S\$|SGD|PHP|₱|PGK|K|EUR|€|GBP|£|AUD|NZD|IDR|RP|THB|฿|DH|MAD|\$)\)?$", re.I)
_AMOUNT_START = re.compile(r"^-?\s?\d[\d,]*[.,]\d{2}")
_AMOUNT_CELL = re.compile(r"(?<![\d.,])\d{1,6}[.,]\d{2}(?![.,]?\d)")
_TRAILING_CURRENCY = re.compile(r"^(?P<label>.*\S)\s+(?P<cur>RM|MYR|USD|SGD|PHP|PGK|EUR|GBP|\$|€|£|₱)$", re.I)


@dataclass(frozen=True)
class Cell:
    """One piece of text on a row, with its horizontal extent and OCR confidence."""

    text: str
    confidence: float
    x0: float
    x1: float


@dataclass(frozen=True)
class Row:
    """One printed line of the receipt: its cells left to right and its height in pixels."""

    cells: tuple[Cell, ...]
    top: float = 0.0
    height: float = 0.0

    @property
    def text(self) -> str:
        """The cells joined with one space (two where a wide gap separated them)."""
        parts: list[str] = []
        previous: Cell | None = None
        for cell in self.cells:
            if previous is not None:
                gap = cell.x0 - previous.x1
                parts.append("  " if self.height and gap > 1.5 * self.height else " ")
            parts.append(cell.text)
            previous = cell
        return "".join(parts)

    @property
    def confidence(self) -> float:
        """Length-weighted mean OCR confidence of the cells."""
        weights = [max(1, len(c.text)) for c in self.cells]
        return sum(c.confidence * w for c, w in zip(self.cells, weights)) / max(1, sum(weights))

    @classmethod
    def from_text(cls, text: str, confidence: float = 1.0) -> "Row":
        """A row from plain text (tests, pasted text, a remote service's lines)."""
        return cls((Cell(text, confidence, 0.0, float(len(text))),))


def rows_from_text(lines: Iterable[str], confidence: float = 1.0) -> list[Row]:
    return [Row.from_text(line, confidence) for line in lines if line.strip()]


def skew_angle(lines: Sequence[TextLine]) -> float:
    """The page's text slope in radians (median over wide boxes), 0 when it cannot be told."""
    angles: list[float] = []
    for line in lines:
        (x0, y0), (x1, y1) = line.box[0], line.box[1]
        width = math.hypot(x1 - x0, y1 - y0)
        height = math.hypot(line.box[3][0] - x0, line.box[3][1] - y0)
        if width > 3 * max(height, 1.0):
            angles.append(math.atan2(y1 - y0, x1 - x0))
    if len(angles) < 3:
        return 0.0
    angle = float(np.median(angles))
    return angle if abs(angle) < math.radians(20) else 0.0


def _merge_currency(cells: list[Cell]) -> list[Cell]:
    """Join a currency code standing alone (or ending a label) to the amount right of it."""
    out: list[Cell] = []
    for cell in cells:
        if out and _AMOUNT_START.match(cell.text.strip()):
            previous = out[-1]
            if _CURRENCY_ONLY.match(previous.text.strip()):
                out[-1] = Cell(f"{previous.text.strip()} {cell.text.strip()}", min(previous.confidence, cell.confidence), previous.x0, cell.x1)
                continue
            trailing = _TRAILING_CURRENCY.match(previous.text.strip())
            if trailing:
                share = len(trailing.group("label")) / max(1, len(previous.text.strip()))
                split = previous.x0 + share * (previous.x1 - previous.x0)
                out[-1] = Cell(trailing.group("label"), previous.confidence, previous.x0, split)
                out.append(Cell(f"{trailing.group('cur')} {cell.text.strip()}", min(previous.confidence, cell.confidence), split, cell.x1))
                continue
        out.append(cell)
    return out


def _group(lines: Sequence[TextLine], boxes: list[np.ndarray]) -> list[Row]:
    rows: list[Row] = []
    for indices in group_rows(boxes):
        cells = [
            Cell(lines[i].text.strip(), lines[i].confidence, float(boxes[i][:, 0].min()), float(boxes[i][:, 0].max()))
            for i in indices
        ]
        heights = [float(boxes[i][:, 1].max() - boxes[i][:, 1].min()) for i in indices]
        top = min(float(boxes[i][:, 1].min()) for i in indices)
        rows.append(Row(tuple(_merge_currency(cells)), top, float(np.median(heights))))
    return rows


def _reads_backwards(rows: Sequence[Row]) -> bool:
    """Whether prices sit left of their labels on most rows: the page was read upside down.

    The engine turns upside-down line images before reading them but keeps
    their boxes where they were, so rows come out bottom-up and right-to-left.
    """
    backwards = forwards = 0
    for row in rows:
        if len(row.cells) < 2:
            continue
        first, last = row.cells[0].text, row.cells[-1].text
        first_amount, last_amount = bool(_AMOUNT_CELL.search(first)), bool(_AMOUNT_CELL.search(last))
        if first_amount and not last_amount and re.search(r"[A-Za-z]{3}", last):
            backwards += 1
        elif last_amount and not first_amount and re.search(r"[A-Za-z]{3}", first):
            forwards += 1
    return backwards > forwards


def build_rows(lines: Sequence[TextLine]) -> list[Row]:
    """The engine's boxes grouped into printed rows, top to bottom, cells left to right.

    A page the engine read upside down (prices left of their labels) is put
    back in reading order by turning the box coordinates half a turn.
    """
    lines = [line for line in lines if line.text.strip()]
    if not lines:
        return []
    angle = skew_angle(lines)
    cos, sin = math.cos(-angle), math.sin(-angle)
    rotation = np.array([[cos, -sin], [sin, cos]], dtype=np.float32)
    boxes = [np.asarray(line.box, dtype=np.float32) @ rotation.T for line in lines]
    rows = _group(lines, boxes)
    if _reads_backwards(rows):
        rows = _group(lines, [-box[[2, 3, 0, 1]] for box in boxes])
    return rows
