"""Reading an MRZ from an image: find its rows, read them with the MRZ row model, parse and validate.

The classical line finder's rows are read first (about 25 ms); when they do
not settle the read, the segmentation model's band is cut into ink rows and
read both ways up; then the page turned by 90 degrees either way. The row
model (`rows`) is the only recogniser: the general PP-OCR recogniser, a
second recogniser and a cell classifier once read the rows it did not
settle, and on 900 generated photos and the shared images they changed one
read in 900 while costing up to a second and 150-200 MB (see the README).
"""

from __future__ import annotations

import time
from functools import cached_property
from typing import Any
from itertools import product
from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from kiosk.records import PassportRecord, Record
from kiosk.status import rank
from kiosk.ocr.engine.geometry import crop_quad
from kiosk.ocr.mrz.parse import LINE_SHAPES, MrzResult, parse_mrz
from kiosk.ocr.mrz.locate import MrzBand, MrzLocator, lines_run_vertically, text_line_quads
from kiosk.ocr.mrz.rows import SURE, RowRecogniser, default_row_recogniser
from kiosk.ocr.engine.types import CharScore, TextLine

FULL_WIDTHS = frozenset(w for w, _ in LINE_SHAPES)
MAX_WIDTH_SLACK = 3
NO_MRZ = "no MRZ found"
UNREADABLE = "an MRZ is there but too small or blurred to read: hold the document closer and steady, or scan it at a higher resolution"
UNREADABLE_COVERAGE = 0.75
UNREADABLE_ASPECT = 3.0
TURNS = (None, cv2.ROTATE_90_COUNTERCLOCKWISE, cv2.ROTATE_90_CLOCKWISE)
"""The page as given, then turned by 90 degrees either way (the band is read both ways up in each)."""


@dataclass(frozen=True)
class PassportRead:
    """One passport read: the MRZ detail (`result`: lines, checks, corrections, ambiguities) and the record made
    from it (`record`, made once), kept together so nothing the review or the JSON needs is dropped."""

    result: MrzResult
    path: str
    """Which rows gave it: "band" (the segmentation model's band) or "lines" (the line finder's), each + "-turned"
    (the page turned by 90 degrees); "consensus" (live, over frames), "none"."""
    seconds: float
    region: np.ndarray | None = field(default=None, compare=False, repr=False)
    """The MRZ as read, upright: the band, or the text rows the line finder read (None: read from the whole page)."""

    @cached_property
    def record(self) -> PassportRecord:
        return self.result.to_record()

    def to_json(self, record: Record | None = None) -> dict[str, Any]:
        """The record's JSON (this read's, or `record`, e.g. merged with the OCR service's) with the MRZ
        corrections and ambiguities."""
        return {
            **(record or self.record).to_json(),
            "corrections": [c.to_json() for c in self.result.corrections],
            "ambiguities": [a.to_json() for a in self.result.ambiguities],
        }


@dataclass(frozen=True)
class RowsRead:
    """MRZ rows (band rows or the line finder's) and the row model's reading of them."""

    crops: list[np.ndarray]
    lines: list[TextLine]
    result: MrzResult | None
    settled: bool = False
    """The row model read it valid, or surely as printed (`sure_as_printed`): nothing else needs trying."""


def sure_as_printed(result: MrzResult | None) -> bool:
    """Whether the row model's read is the answer whatever its check digits say: every character at least `SURE`.

    A document whose check digits fail as printed (a specimen, a misprint) is
    read `invalid` at once, naming the failing check, instead of being sent
    through every slower path.
    """
    if result is None or result.status == "no_mrz" or not result.raw_scores:
        return False
    return result.ok or all(c.confidence >= SURE for row in result.raw_scores for c in row)


def better(a: MrzResult, b: MrzResult | None) -> bool:
    """Whether `a` is a better read than `b`: validity first, then confidence."""
    if b is None:
        return True
    return (rank(a.status), a.confidence) > (rank(b.status), b.confidence)


def alternation_runs(ink: np.ndarray) -> list[tuple[int, int]]:
    """Vertical runs of rows where ink and paper alternate often: text rows, not a strip of dark desk or shadow."""
    profile = np.abs(np.diff(ink.astype(np.int16), axis=1)).sum(axis=1).astype(np.float32)
    if profile.max() <= 0:
        return []
    on = profile > 0.25 * np.percentile(profile, 95)
    runs, start = [], None
    for y, flag in enumerate(np.append(on, False)):
        if flag and start is None:
            start = y
        elif not flag and start is not None:
            runs.append((start, y))
            start = None
    return runs


def ink_mask(grey: np.ndarray) -> np.ndarray:
    """1 where there is ink (Otsu's threshold of the lightly blurred row), else 0."""
    blurred = cv2.GaussianBlur(grey, (3, 3), 0)
    _, ink = cv2.threshold(blurred, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    return ink


def ink_rows(band: np.ndarray) -> list[tuple[int, int]]:
    """Vertical extents of text rows in an upright band, from how often ink and paper alternate along each row.

    Counting alternations rather than dark pixels keeps a strip of dark desk
    or a shadow inside the band from passing for a text row.
    """
    rows = alternation_runs(ink_mask(cv2.cvtColor(band, cv2.COLOR_BGR2GRAY)))
    tallest = max((b - a for a, b in rows), default=0)
    return [(a, b) for a, b in rows if b - a >= 0.4 * tallest]


def unreadable_mrz(band: MrzBand) -> bool:
    """Whether a band that read as nothing is still an MRZ: the network sure of it (`UNREADABLE_COVERAGE`),
    a band at least `UNREADABLE_ASPECT` times as wide as high, and more than one row of ink in it.

    Tells the operator why nothing was read. Of the photos read as `no_mrz` in
    900 generated ones and the 11 shared images, this held for 15 of the 15
    with an MRZ and for none of the 56 without. Blurred print too small to
    read can split into more rows than the MRZ has.
    """
    height, width = band.crop.shape[:2]
    return band.coverage >= UNREADABLE_COVERAGE and width >= UNREADABLE_ASPECT * height and len(ink_rows(band.crop)) >= 2


def fit_width(line: TextLine, width: int) -> TextLine | None:
    """The line at exactly `width` characters by growing or shrinking its longest filler run.

    Runs of identical `<` are where CTC miscounts; anything else that is off
    by more than a few characters is not this line.
    """
    diff = len(line.text) - width
    if diff == 0:
        return line
    if abs(diff) > MAX_WIDTH_SLACK:
        return None
    runs = [(m, n) for m, n in _runs(line.text, "<") if n - m > abs(diff)]
    if not runs:
        return None
    start, end = max(runs, key=lambda r: r[1] - r[0])
    chars = list(line.chars)
    if diff > 0:
        del chars[end - diff : end]
    else:
        filler = CharScore("<", min(c.confidence for c in chars[start:end]))
        chars[end:end] = [filler] * (-diff)
    text = "".join(c.char for c in chars)
    return TextLine(text, line.confidence, line.box, tuple(chars))


def _runs(text: str, char: str) -> list[tuple[int, int]]:
    runs, start = [], None
    for i, c in enumerate(text + "\0"):
        if c == char and start is None:
            start = i
        elif c != char and start is not None:
            runs.append((start, i))
            start = None
    return runs


def best_parse(rows: list[TextLine]) -> MrzResult | None:
    """The best-validated MRZ among consecutive rows that fit a format's line width, in either order.

    The detector turns each upside-down line upright, but on a page upside
    down the last MRZ line is the top row. Rows taken bottom to top count
    only when every check digit holds: any text parses as something.
    """
    return best_parse_rows(rows)[0]


def best_parse_rows(rows: list[TextLine]) -> tuple[MrzResult | None, list[int]]:
    """`best_parse`, with the indices of the rows it read, in reading order."""
    best: MrzResult | None = None
    used: list[int] = []
    for (width, count), ordered in product(LINE_SHAPES, (rows, rows[::-1])):
        for start in range(len(ordered) - count + 1):
            fitted = [fit_width(row, width) for row in ordered[start : start + count]]
            if any(f is None for f in fitted):
                continue
            result = parse_mrz([f.text for f in fitted], [f.chars for f in fitted])
            if (ordered is rows or result.ok) and better(result, best):
                best = result
                indices = range(start, start + count)
                used = list(indices) if ordered is rows else [len(rows) - 1 - i for i in indices]
    return best, used


def read_short(rows: list[TextLine], used: list[int], result: MrzResult) -> bool:
    """Whether a row was read shorter than its line and padded with fillers (`fit_width`): a letter at an
    end the crop cut off, or one the model dropped, may be missing where no check digit looks."""
    return any(len(rows[i].text) < len(line) for i, line in zip(used, result.lines))


def stack_rows(crops: list[np.ndarray]) -> np.ndarray | None:
    """Row crops one above the other, padded to the widest with their edge colour (a picture of the MRZ read)."""
    if not crops:
        return None
    width = max(c.shape[1] for c in crops)
    padded = [cv2.copyMakeBorder(c, 0, 0, 0, width - c.shape[1], cv2.BORDER_REPLICATE) for c in crops]
    return np.vstack(padded)


MAX_SIDE = 2560
"""Larger photos are shrunk once before reading: MRZ characters stay over 15 px wide on a
document that fills a quarter of a 4K frame, and every later step is cheaper."""


def limit_size(image: np.ndarray, max_side: int = MAX_SIDE) -> np.ndarray:
    longest = max(image.shape[:2])
    if longest <= max_side:
        return image
    factor = max_side / longest
    return cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)


BLANK_EDGE_PIXELS = 200
"""Fewer edge pixels than this (at most 1024 px a side) is a page with no print: 88 MRZ characters of 5 px give ~1,000."""


def blank_page(image: np.ndarray) -> bool:
    """Whether the image holds no print at all (blank, black, one flat colour): nothing to read, no detector run."""
    small = limit_size(image, 1024)
    grey = small if small.ndim == 2 else cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
    return int(np.count_nonzero(cv2.Canny(grey, 50, 150))) < BLANK_EDGE_PIXELS


WIDE_SCALE = 0.7
"""Rows read again this wide (`row_input.WIDTH_SCALE` is 0.55) when a character is missing: CTC
runs doubled letters together (`VMM9` read `VM9`) when they get too few time steps."""


class MrzReader:
    """Locate, read and validate an MRZ. Not thread-safe: one per worker thread."""

    def __init__(self, locator: MrzLocator | None = None, row_reader: RowRecogniser | None = None) -> None:
        self.locator = locator or MrzLocator()
        self.row_reader = row_reader if row_reader is not None else default_row_recogniser()
        """The MRZ row model (`rows`), the one recogniser of MRZ rows."""
        self._rows: np.ndarray | None = None
        """The rows the line finder last read, stacked (see `_lines_by_model`)."""

    def read(self, image: np.ndarray) -> PassportRead:
        """The best read: the line finder's rows, then the band's, upright and then turned.

        The line finder with the row model takes about 25 ms; the band's
        segmentation model 0.15-0.3 s more, so it runs only when the line
        finder's rows did not settle the read. Both are tried upright and,
        when they find nothing, on the page turned by 90 degrees either way;
        turned first when the line finder sees the page's lines run up and
        down (`lines_run_vertically`). A read that settles
        (`sure_as_printed`: valid, or surely as printed) ends the search, so
        the work per image is bounded: at most three line finder passes and
        one band. Nothing read says why (`NO_MRZ`, or `UNREADABLE` for an
        `unreadable_mrz` band).
        """
        started = time.perf_counter()
        image = limit_size(image)
        if blank_page(image):
            return PassportRead(replace(parse_mrz([]), reason=NO_MRZ), "none", time.perf_counter() - started)
        best, path, band, rows = None, "none", None, None
        bands: list[MrzBand] = []
        upright_lines = text_line_quads(image)
        turns = TURNS[1:] + TURNS[:1] if lines_run_vertically(image, upright_lines) else TURNS
        for turn in turns:
            view = image if turn is None else cv2.rotate(image, turn)
            found = upright_lines if turn is None else None
            result, view_path, view_band = self._read_fast(view, search_band=turn is turns[0], quads=found)
            bands += [view_band] if view_band is not None else []
            if turn is None:
                band = view_band
            if result is not None:
                best, band, rows = result, view_band, self._rows
                path = view_path if turn is None else f"{view_path}-turned"
                break
        if best is None or best.status == "no_mrz":
            best = replace(best or parse_mrz([]), reason=UNREADABLE if any(map(unreadable_mrz, bands)) else NO_MRZ)
            return PassportRead(best, path, time.perf_counter() - started)
        region = band.crop if path.startswith("band") and band is not None else rows if path.startswith("lines") else None
        return PassportRead(best, path, time.perf_counter() - started, region)

    def _read_fast(
        self, image: np.ndarray, search_band: bool = True, quads: list[np.ndarray] | None = None
    ) -> tuple[MrzResult | None, str, MrzBand | None]:
        """The line finder's rows, then the band (either way up); stops at the first settled read.

        The band is looked for only with `search_band`: the segmentation model finds a band turned
        by 90 degrees as well as upright and cuts it out lying flat, so looking again on the page
        turned would find the same band. `quads`: the line finder's lines of `image`, when already found.
        """
        best, settled = self._lines_by_model(self._line_rows(image, quads))
        if settled:
            return best, "lines", None
        path = "lines" if best is not None else "none"
        band = self.locator.locate(image) if search_band else None
        if band is not None:
            for crops in (band_row_crops(band.crop), band_row_crops(cv2.rotate(band.crop, cv2.ROTATE_180))):
                model = self._model_rows(crops) if crops else None
                if model is None or model.result is None:
                    continue
                if model.settled:
                    return model.result, "band", band
                if better(model.result, best):
                    best, path = model.result, "band"
        if best is not None and best.status == "no_mrz":
            best = None
        return best, path, band

    def _model_rows(self, crops: list[np.ndarray]) -> RowsRead:
        """The rows as the row model reads them."""
        lines, again = self._model_lines(crops)
        result = best_parse(lines)
        return RowsRead(crops, lines, result, sure_as_printed(result) and not again)

    def _model_lines(self, crops: list[np.ndarray]) -> tuple[list[TextLine], bool]:
        """The row model's reading of each row; a row a character or two short of an MRZ line read again
        wider (`WIDE_SCALE`), kept if that gives it an MRZ line's width. Also whether a row was so read
        again: such a read does not settle (`RowsRead.settled`), since the second reading can err
        elsewhere and a check-digit correction then "prove" two errors (seen on a generated visa)."""
        lines, again = self.row_reader.recognise(crops), False
        for i, line in enumerate(lines):
            if any(0 < width - len(line.text) <= MAX_WIDTH_SLACK for width in FULL_WIDTHS):
                [wide] = self.row_reader.recognise([crops[i]], scale=WIDE_SCALE)
                if len(wide.text) in FULL_WIDTHS:
                    lines[i], again = wide, True
        return lines, again

    def _line_rows(
        self, image: np.ndarray, quads: list[np.ndarray] | None = None
    ) -> tuple[list[np.ndarray], list[np.ndarray]] | None:
        """The line finder's rows: every long thin text line (`quads`, or found here), top to bottom
        and upside down (None for fewer than two)."""
        quads = sorted(text_line_quads(image) if quads is None else quads, key=lambda q: float(q[:, 1].mean()))
        if len(quads) < 2:
            return None
        upright = [crop_quad(image, quad) for quad in quads]
        return upright, [cv2.rotate(c, cv2.ROTATE_180) for c in upright[::-1]]

    def _lines_by_model(self, lines: tuple[list[np.ndarray], list[np.ndarray]] | None) -> tuple[MrzResult | None, bool]:
        """The line finder's rows read by the row model, each way up: the best read and whether it settled
        the read (`sure_as_printed`, no row `read_short`). The rows read best, stacked, are left in
        `self._rows` (the picture of what was read)."""
        self._rows = None
        if lines is None:
            return None, False
        best = None
        for crops in lines:
            rows, again = self._model_lines(crops)
            result, used = best_parse_rows(rows)
            if result is not None and sure_as_printed(result) and not again and not read_short(rows, used, result):
                self._rows = stack_rows([crops[i] for i in used])
                return result, True
            if result is not None and better(result, best):
                best, self._rows = result, stack_rows([crops[i] for i in used])
        return best, False

    def read_band(self, band: np.ndarray) -> MrzResult | None:
        """An upright MRZ band (live capture's) cut into ink rows and read by the row model
        (None without 2-6 rows)."""
        crops = band_row_crops(band)
        return None if crops is None else self._model_rows(crops).result


ROW_PAD = 0.15
"""Share of the tallest row's height kept above and below each band row."""


def band_row_crops(band: np.ndarray) -> list[np.ndarray] | None:
    """An upright band cut into its ink rows (`ink_rows`), each with a little of the band above and below;
    None unless it has 2-6 rows."""
    rows = ink_rows(band)
    if not 2 <= len(rows) <= 6:
        return None
    tallest = max(b - a for a, b in rows)
    pad = max(2, int(ROW_PAD * tallest))
    return [band[max(0, a - pad) : min(band.shape[0], b + pad)] for a, b in rows]
