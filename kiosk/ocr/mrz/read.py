"""Reading an MRZ from an image: locate the band, read its lines, parse and validate.

The fast path cuts the located band into text rows by their ink profile and
only runs the recogniser on them. When neither way up gives a valid MRZ, a
second recogniser (PP-OCRv6's) reads the same rows and the two readings are
weighed (`reread_rows`). When that still does not give a valid MRZ, the
detector reads the band and then the whole page, and rows split by the
detector are joined again. The best-validated result wins.
"""

from __future__ import annotations

import logging
import time
from functools import cached_property, lru_cache
from typing import Any
from itertools import product
from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from kiosk.records import PassportRecord, Record
from kiosk.status import rank
from kiosk.ocr.engine.geometry import crop_quad
from kiosk.ocr.mrz.parse import LINE_SHAPES, MrzResult, parse_mrz
from kiosk.ocr.mrz.cells import (
    CELL_VOTE,
    MAX_DROPPED,
    CellClassifier,
    alternation_runs,
    default_classifier,
    fill_dropped,
    ink_mask,
    second_opinion,
)
from kiosk.ocr.mrz.locate import MrzBand, MrzLocator, lines_run_vertically, text_line_quads
from kiosk.ocr.mrz.rows import SURE, RowRecogniser, default_row_recogniser
from kiosk.ocr.engine.types import MRZ_ALPHABET, CharScore, OcrEngine, TextLine

log = logging.getLogger(__name__)

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
    """Which attempt gave it: "band" and "lines" (the row model), "band-general", "band-reread" and "lines-general"
    (the general recognisers), each + "-turned"; "consensus", "none"."""
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
    """MRZ rows (band rows or the line finder's) and the first recogniser's reading of them, kept for the second."""

    crops: list[np.ndarray]
    lines: list[TextLine]
    result: MrzResult | None
    settled: bool = False
    """The row model read it valid, or surely as printed (`sure_as_printed`): nothing else needs trying."""

    @property
    def ok(self) -> bool:
        return self.result is not None and self.result.ok


def sure_as_printed(result: MrzResult | None) -> bool:
    """Whether the row model's read is the answer whatever its check digits say: every character at least `SURE`.

    A document whose check digits fail as printed (a specimen, a misprint) is
    read `invalid` at once, naming the failing check, instead of being sent
    through every slower path. Only the row model's confidences mean this; the
    general recogniser is as sure of its misreadings.
    """
    if result is None or result.status == "no_mrz" or not result.raw_scores:
        return False
    return result.ok or all(c.confidence >= SURE for row in result.raw_scores for c in row)


def better(a: MrzResult, b: MrzResult | None) -> bool:
    """Whether `a` is a better read than `b`: validity first, then confidence."""
    if b is None:
        return True
    return (rank(a.status), a.confidence) > (rank(b.status), b.confidence)


def outranks(reread: MrzResult, b: MrzResult | None) -> bool:
    """Whether a reading with the second recogniser's opinion (`reread_rows`) replaces `b`: only by a better
    status, since that recogniser's confidence does not compare with the first's (it is surer when wrong)."""
    return b is None or rank(reread.status) > rank(b.status)


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


REREAD_SCALES = (0.5, 0.35)
REREAD_SLACK = 6
"""How many characters off its neighbours' width a row may be for reading again (`reread_off_width`)."""
STRETCH = 1.5
"""MRZ rows are widened by this before recognition. OCR-B in an MRZ is widely spaced
monospace; the recogniser, trained on ordinary text, drops characters of it (QAQA read as
QA) unless each character gets more of its time steps."""


FILLER_LOOKALIKES = frozenset("KCE")
FILLER_SHARE = 0.1
"""A K, C or E whose runner-up is `<` with at least this share of its probability is read as `<`."""


def prefer_fillers(line: TextLine) -> TextLine:
    """Small OCR-B fillers look like K to the recogniser; when it nearly chose `<`, take `<`.

    Fillers are the commonest MRZ character, while a K or C the recogniser
    doubts this much against `<` is rare; the parser's check digits still
    decide, and names, which no check digit covers, keep their capped confidence.
    """
    chars = tuple(
        CharScore("<", c.runner_up_confidence, c.char, c.confidence, c.position)
        if c.char in FILLER_LOOKALIKES and c.runner_up == "<" and c.runner_up_confidence >= FILLER_SHARE * c.confidence
        else c
        for c in line.chars
    )
    if chars == line.chars:
        return line
    return TextLine("".join(c.char for c in chars), line.confidence, line.box, chars)


PAPER_MARGIN = 0.2
"""Blank paper added above and below each row, as a share of the tallest, for a second read."""


def with_paper_margin(crop: np.ndarray, margin: int) -> np.ndarray:
    """The row with `margin` pixels of its own paper colour above and below.

    Tight rows of blurred print are read with `<` taken for K or C far more
    often than the same rows with some blank around them, as the detector
    crops them; blank rather than more of the band, whose neighbouring line
    would come in.
    """
    paper = [float(v) for v in np.percentile(crop.reshape(-1, crop.shape[2]), 90, axis=0)]
    return cv2.copyMakeBorder(crop, margin, margin, 0, 0, cv2.BORDER_CONSTANT, value=paper)


def recognise_rows(engine: OcrEngine, crops: list[np.ndarray], cells: CellClassifier | None = None) -> list[TextLine]:
    """MRZ rows read in the MRZ alphabet, widened first (`STRETCH`), off-width rows read again.

    With a cell classifier, rows also get its opinion (`cells_read`).
    """
    wide = [cv2.resize(c, None, fx=STRETCH, fy=1.0, interpolation=cv2.INTER_CUBIC) for c in crops]
    lines = reread_off_width(engine, wide, engine.recognise(wide, alphabet=MRZ_ALPHABET))
    if cells is not None:
        widths = exact_widths(lines)
        lines = [cells_read(cells, c, l, widths) for c, l in zip(crops, lines)]
    return [prefer_fillers(line) for line in lines]


def exact_widths(lines: list[TextLine]) -> set[int]:
    """The MRZ line widths some of these rows have exactly."""
    return {len(l.text) for l in lines} & FULL_WIDTHS


def cells_read(cells: CellClassifier, crop: np.ndarray, line: TextLine, widths: set[int]) -> TextLine:
    """The row with the cells' opinion: at full width (`second_opinion`), or a few characters short of a
    neighbour's width with the dropped ones read from their cells (`fill_dropped`)."""
    if len(line.text) in FULL_WIDTHS:
        return second_opinion(cells, crop, line)
    for width in widths:
        if 0 < width - len(line.text) <= MAX_DROPPED:
            filled = fill_dropped(cells, crop, line, width)
            if filled is not None:
                return filled
    return line


def reread_off_width(engine: OcrEngine, crops: list[np.ndarray], lines: list[TextLine]) -> list[TextLine]:
    """Read again, at other scales, a row a few characters off the width its neighbours have exactly.

    The recogniser sometimes drops a character pair in widely spaced print
    (QAQA read as QA); padding the fillers would then hide the loss inside
    a name that no check digit covers. A blurrier copy of the same crop is
    usually read whole, or closer to whole: the cells then read what is
    still missing (`cells_read`).
    """
    widths = exact_widths(lines)
    out = list(lines)
    for width in widths:
        for i, line in enumerate(out):
            if len(line.text) == width or abs(len(line.text) - width) > REREAD_SLACK:
                continue
            for scale in REREAD_SCALES:
                small = cv2.resize(crops[i], None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
                [again] = engine.recognise([small], alphabet=MRZ_ALPHABET)
                if abs(len(again.text) - width) < abs(len(out[i].text) - width):
                    out[i] = TextLine(again.text, again.confidence, line.box, again.chars)
                if len(out[i].text) == width:
                    break
    return out


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


def second_reading(first: TextLine, second: TextLine) -> TextLine:
    """`first` with another recogniser's reading of the same row (as long) weighed in, character by character.

    Where the two agree, the surer one's scores stand: a letter the first
    was torn on (W or N) is settled when the second saw it clearly. Where
    they disagree, the character two readers saw leads (the first
    recogniser's confirmed by the cells, or its runner-up the second saw),
    else the surer reading; the other stays the runner-up at least half as
    likely, so the parser's check digits decide and a name letter they
    disagree on is left to the operator.
    """
    chars = []
    for a, b in zip(first.chars, second.chars):
        if a.char == b.char:
            chars.append(a if a.confidence >= b.confidence else replace(b, position=a.position, confirmed=a.confirmed))
            continue
        if a.confirmed or (b.confidence <= a.confidence and a.runner_up != b.char):
            lead, other = a, b
        else:
            lead, other = b, a
        share = max(min(lead.confidence, other.confidence), 0.5 * lead.confidence)
        chars.append(CharScore(lead.char, lead.confidence, other.char, share, a.position))
    chars_t = tuple(chars)
    if chars_t == first.chars:
        return first
    return TextLine("".join(c.char for c in chars_t), first.confidence, first.box, chars_t)


def reread_rows(first: list[TextLine], second: list[TextLine]) -> list[TextLine]:
    """Each row as the first recogniser read it with the second's opinion (`second_reading`) where both
    read it as long; the second's reading (`read_once`) where only it has a width some row has exactly."""
    widths = exact_widths(first) | exact_widths(second)
    rows = []
    for a, b in zip(first, second):
        if len(a.text) == len(b.text):
            rows.append(second_reading(a, b))
        elif len(b.text) in widths and len(a.text) not in widths and (once := read_once(b)) is not None:
            rows.append(once)
        else:
            rows.append(a)
    return rows


READ_ONCE_FLOOR = 0.5
"""Below this, a character only one recogniser read is likelier something else (`read_once`)."""


def read_once(line: TextLine) -> TextLine | None:
    """A row only one recogniser could read, or None when it is not worth taking.

    A letter it was unsure of (below `CELL_VOTE`) that the cells did not
    confirm gets its letter runner-up as likely, so a name letter is left to
    the operator (`mrz._contested_letter`): both recognisers take a blurred
    D for O, and where the first did not read the row at all nothing else
    stands between such a letter and a name no check digit covers. A row
    with a character below `READ_ONCE_FLOOR` (unconfirmed) is not taken: a
    check digit cannot tell letters 10 apart (G and Q, E, O and Y), so one
    that holds proves nothing about a character the reader itself doubted.
    """
    if any(c.confidence < READ_ONCE_FLOOR and not c.confirmed for c in line.chars):
        return None
    chars = tuple(
        replace(c, runner_up_confidence=c.confidence)
        if c.confidence < CELL_VOTE and not c.confirmed and c.char.isalpha() and c.runner_up.isalpha()
        else c
        for c in line.chars
    )
    return line if chars == line.chars else TextLine("".join(c.char for c in chars), line.confidence, line.box, chars)


@lru_cache(maxsize=1)
def default_rereader() -> OcrEngine | None:
    """PP-OCRv6's recogniser (`engines.shared_rereader`), or None when it is not installed (reading goes without)."""
    from kiosk.ocr.engine.engines import shared_rereader

    return shared_rereader()


WIDE_SCALE = 0.7
"""Rows read again this wide (`row_input.WIDTH_SCALE` is 0.55) when a character is missing: CTC
runs doubled letters together (`VMM9` read `VM9`) when they get too few time steps."""

READ_BUDGET = 0.5
"""Seconds into a read after which no slower way (the general recogniser after its first reading,
the second one) is started: a hopeless image ends with what was read by then (`no_mrz` or `invalid`)."""


class MrzReader:
    """Locate, read and validate an MRZ. Not thread-safe: one per worker thread."""

    def __init__(
        self,
        engine: OcrEngine,
        locator: MrzLocator | None = None,
        cells: CellClassifier | None = None,
        rereader: OcrEngine | None = None,
        row_reader: RowRecogniser | None = None,
    ) -> None:
        self.engine = engine
        self.locator = locator or MrzLocator()
        self.cells = cells if cells is not None else default_classifier()
        self._rereader = rereader
        self._rereader_set = rereader is not None
        self.row_reader = row_reader if row_reader is not None else default_row_recogniser()
        """The MRZ row model (`rows`), read first; None reads with the general recogniser only."""
        self._rows: np.ndarray | None = None
        """The rows the line finder last read, stacked (see `_lines_by_model`)."""
        self.budget = READ_BUDGET
        self._deadline = float("inf")

    @property
    def rereader(self) -> OcrEngine | None:
        """The second recogniser (`default_rereader` unless given), loaded when first needed:
        live capture never needs it (0.15 s and about 80 MB)."""
        if not self._rereader_set:
            self._rereader, self._rereader_set = default_rereader(), True
        return self._rereader

    @rereader.setter
    def rereader(self, value: OcrEngine | None) -> None:
        self._rereader, self._rereader_set = value, True

    def read(self, image: np.ndarray) -> PassportRead:
        """The best read: the row model first, slower ways only while it has not settled the read.

        The fast paths (the classical line finder's rows, about 25 ms with the
        row model; the segmentation model's band cut into ink rows, read both
        ways up, about 0.15-0.3 s more) are tried upright and, when
        they find nothing, on the page turned by 90 degrees either way; turned
        first when the line finder sees the page's lines run up and down
        (`lines_run_vertically`). In each, the row model reads first and a
        read it settles (`sure_as_printed`: valid, or surely as printed) ends
        the search; the general recogniser (and the second one) read the same
        rows only when it did not, and only the way up the model read as an
        MRZ. No slower way starts once `budget` seconds have gone, except the
        general recogniser's first reading of the band the model read as an
        MRZ (one call, 0.2-0.8 s): on a loaded machine the budget was gone
        before it and a 270 px web thumbnail it reads went unread. Nothing read says why (`NO_MRZ`, or `UNREADABLE`
        for an `unreadable_mrz` band).
        """
        started = time.perf_counter()
        self._deadline = started + self.budget
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

    def _in_time(self) -> bool:
        """Whether a slower way may still start (`budget`)."""
        return time.perf_counter() < self._deadline

    def _read_fast(
        self, image: np.ndarray, search_band: bool = True, quads: list[np.ndarray] | None = None
    ) -> tuple[MrzResult | None, str, MrzBand | None]:
        """The line finder's rows by the row model, the band (either way up), then the line finder's rows
        by the general recogniser; stops at the first valid or settled read (`RowsRead.settled`).

        The line finder and the row model together take about 25 ms; the band's segmentation model
        0.15-0.3 s, so it runs only when the rows the line finder found did not settle the read,
        and only with `search_band`: it finds a band turned by 90 degrees as well as upright and cuts
        it out lying flat, so looking again on the page turned would find the same band. `quads`: the
        line finder's lines of `image`, when already found.
        """
        lines = self._line_rows(image, quads)
        best, settled, line_models = self._lines_by_model(lines)
        if settled:
            return best, "lines", None
        path = "lines" if best is not None else "none"
        band = self.locator.locate(image) if search_band else None
        if band is not None:
            cuts = [cut for cut in (band_row_crops(band.crop), band_row_crops(cv2.rotate(band.crop, cv2.ROTATE_180))) if cut]
            models = [model for model in (self._model_rows(crops) for crops in cuts) if model is not None]
            for model in models:
                if model.settled:
                    return model.result, "band", band
                if model.result is not None and better(model.result, best):
                    best, path = model.result, "band"
            read: list[RowsRead] = []
            for crops in self._worth_general(cuts, models):
                if read and not self._in_time():
                    break
                first = self._engine_rows(crops)
                read.append(first)
                if first.result is not None and better(first.result, best):
                    best, path = first.result, "band-general"
                if best is not None and best.ok:
                    return best, path, band
            for first in self._worth_rereading(read):
                if not self._in_time():
                    break
                result = self._reread(first)
                if result is not None and outranks(result, best):
                    best, path = result, "band-reread"
                if best is not None and best.ok:
                    return best, path, band
        ways = self._worth_general(list(lines or ()), line_models)
        result = self._lines_by_engines(ways, best if path.startswith("lines") else None)
        if result is not None and better(result, best):
            best, path = result, "lines-general"
        if best is not None and best.status == "no_mrz":
            best = None
        return best, path, band

    def _model_rows(self, crops: list[np.ndarray]) -> RowsRead | None:
        """The rows as the row model reads them (None without the model)."""
        if self.row_reader is None:
            return None
        lines, again = self._model_lines(crops)
        result = best_parse(lines)
        return RowsRead(crops, lines, result, sure_as_printed(result) and not again)

    def _model_lines(self, crops: list[np.ndarray]) -> tuple[list[TextLine], bool]:
        """The row model's reading of each row; a row a character or two short of an MRZ line read again
        wider (`WIDE_SCALE`), kept if that gives it an MRZ line's width. Also whether a row was so read
        again: such a read does not settle (`RowsRead.settled`), since the second reading can err
        elsewhere and a check-digit correction then "prove" two errors (seen on a generated visa)."""
        assert self.row_reader is not None
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
        """The classical fallback's rows: every long thin text line (`quads`, or found here), top to bottom
        and upside down (None for fewer than two)."""
        quads = sorted(text_line_quads(image) if quads is None else quads, key=lambda q: float(q[:, 1].mean()))
        if len(quads) < 2:
            return None
        upright = [crop_quad(image, quad) for quad in quads]
        return upright, [cv2.rotate(c, cv2.ROTATE_180) for c in upright[::-1]]

    def _lines_by_model(self, lines: tuple[list[np.ndarray], list[np.ndarray]] | None) -> tuple[MrzResult | None, bool, list[RowsRead]]:
        """The line finder's rows read by the row model, each way up: the best read, whether it settled
        the read (`sure_as_printed`, no row `read_short`) and each way's read. The rows read best,
        stacked, are left in `self._rows` (the picture of what was read)."""
        self._rows = None
        if lines is None or self.row_reader is None:
            return None, False, []
        best, models = None, []
        for crops in lines:
            rows, again = self._model_lines(crops)
            result, used = best_parse_rows(rows)
            models.append(RowsRead(crops, rows, result))
            if result is not None and sure_as_printed(result) and not again and not read_short(rows, used, result):
                self._rows = stack_rows([crops[i] for i in used])
                return result, True, models
            if result is not None and better(result, best):
                best, self._rows = result, stack_rows([crops[i] for i in used])
        return best, False, models

    def _lines_by_engines(self, ways: list[list[np.ndarray]], best: MrzResult | None) -> MrzResult | None:
        """The line finder's rows (`ways` up) read by the general recogniser (and the second one), while
        time allows; a read better than `best` (the row model's) is returned and its rows left in `self._rows`."""
        found, read = None, []
        for crops in ways:
            if not self._in_time():
                return found
            rows = recognise_rows(self.engine, crops, self.cells)
            result, used = best_parse_rows(rows)
            read.append(RowsRead(crops, rows, result))
            if result is not None and better(result, best):
                best = found = result
                self._rows = stack_rows([crops[i] for i in used])
            if best is not None and best.ok:
                return found
        for first in self._worth_rereading(read):
            if not self._in_time():
                break
            assert self.rereader is not None
            result, used = best_parse_rows(reread_rows(first.lines, recognise_rows(self.rereader, first.crops, self.cells)))
            if result is not None and outranks(result, best):
                best = found = result
                self._rows = stack_rows([first.crops[i] for i in used])
            if best is not None and best.ok:
                break
        return found

    def _worth_general(self, cuts: list[list[np.ndarray]], models: list[RowsRead]) -> list[list[np.ndarray]]:
        """The way up of the band or lines that the general recogniser reads after the row model: the one
        the model read best as an MRZ; none when the model read no MRZ either way (measured on 900
        generated photos: the general recogniser then read nothing the model had not, at 0.2-0.8 s a way up)."""
        if self.row_reader is None:
            return cuts
        parsed = [(model.result, crops) for model, crops in zip(models, cuts) if model.result is not None and model.result.status != "no_mrz"]
        if not parsed:
            return []
        chosen = parsed[0]
        for result, crops in parsed[1:]:
            if better(result, chosen[0]):
                chosen = (result, crops)
        return [chosen[1]]

    def _worth_rereading(self, read: list[RowsRead]) -> list[RowsRead]:
        """The way up that read as an MRZ (both when neither did), for the second recogniser."""
        if self.rereader is None:
            return []
        parsed = [first for first in read if first.result is not None and first.result.status != "no_mrz"]
        return parsed[:1] if parsed else read

    def _reread(self, first: RowsRead) -> MrzResult | None:
        """The rows as both recognisers read them (`reread_rows`); as the first read them without a second."""
        if self.rereader is None:
            return first.result
        return best_parse(reread_rows(first.lines, recognise_rows(self.rereader, first.crops, self.cells)))

    def read_band(self, band: np.ndarray, reread: bool = False) -> MrzResult | None:
        """The fast path alone: an upright MRZ band cut into ink rows and read (None without 2-6 rows):
        by the row model, and by the general recogniser when the model did not settle it.

        With `reread`, the rows as both recognisers read them (`reread_rows`).
        """
        self._deadline = time.perf_counter() + self.budget
        crops = band_row_crops(band)
        if crops is None:
            return None
        model = self._model_rows(crops)
        if model is not None and model.settled:
            return model.result
        first = self._engine_rows(crops)
        result = self._reread(first) if reread else first.result
        if model is not None and model.result is not None and better(model.result, result):
            return model.result
        return result

    def _engine_rows(self, crops: list[np.ndarray]) -> RowsRead:
        """Band rows read by the general recogniser, again with blank paper around them when not valid
        (and still in time)."""
        lines = recognise_rows(self.engine, crops, self.cells)
        result = best_parse(lines)
        if result is not None and not result.ok and self._in_time():
            margin = int(PAPER_MARGIN * max(c.shape[0] for c in crops) / (1 + 2 * ROW_PAD))
            again = best_parse(recognise_rows(self.engine, [with_paper_margin(c, margin) for c in crops], self.cells))
            if again is not None and better(again, result):
                result = again
        return RowsRead(crops, lines, result)


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
