"""A second opinion on each MRZ character, read from its own cell.

MRZ print is monospaced OCR-B, so once the first and last character's
centres are known every character has a known cell. A small classifier trained on OCR-B renders
(`mrz_cells_train`) looks at each cell alone. The general recogniser reads
whole lines well but takes small or blurred OCR-B `<` for C, K, E or S; a
classifier that has only ever seen OCR-B cells does not, and it tells
OCR-B O from 0, which the recogniser cannot. Neither reader decides alone:
the other's reading stays in play for the parser's check digits.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from kiosk.ocr.engine.models import MRZ_CELLS_MODEL as MODEL_PATH
from kiosk.ocr.mrz.correct import INDISTINCT, TO_DIGIT, TO_LETTER
from kiosk.ocr.engine.types import MRZ_ALPHABET, CharScore, TextLine

log = logging.getLogger(__name__)

CLASSES = MRZ_ALPHABET
CELL_W, CELL_H = 16, 24
WINDOW = 1.4
"""Each cell is cut this many pitches wide around its centre, so a slightly misplaced cell still holds its glyph."""
MIN_HEIGHT = 5
MAX_TEXT_HEIGHT = 32
"""Rows with taller text are shrunk first: cells are 24 pixels high, so more detail is lost anyway, and cutting is cheaper."""
PITCH_RANGE = (0.45, 1.6)
"""Plausible character pitch as a share of text height (OCR-B MRZ is about 0.9)."""


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


def text_span(ink: np.ndarray) -> tuple[int, int] | None:
    """The vertical extent of the row's text: the longest run of alternating rows."""
    return max(alternation_runs(ink), key=lambda run: run[1] - run[0], default=None)


def ink_mask(grey: np.ndarray) -> np.ndarray:
    blurred = cv2.GaussianBlur(grey, (3, 3), 0)
    _, ink = cv2.threshold(blurred, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    return ink


def level(grey: np.ndarray) -> np.ndarray:
    """The row sheared so its text runs level: a band cut from a photo in perspective slopes by a few pixels.

    The slope is fitted through the ink's centre of mass in slices about
    two text heights wide.
    """
    ink = ink_mask(grey).astype(np.float32)
    height, width = ink.shape
    step = max(4, 2 * height)
    xs, ys, weights = [], [], []
    rows = np.arange(height, dtype=np.float32)
    for start in range(0, width - step // 2, step):
        mass = ink[:, start : start + step].sum(axis=1)
        total = float(mass.sum())
        if total > 0:
            xs.append(start + step / 2)
            ys.append(float((mass * rows).sum() / total))
            weights.append(total)
    if len(xs) < 3:
        return grey
    slope = float(np.polyfit(xs, ys, 1, w=np.sqrt(weights))[0])
    if abs(slope) * width < 1.0:
        return grey
    matrix = np.float32([[1, 0, 0], [-slope, 1, slope * width / 2]])
    return cv2.warpAffine(grey, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


@dataclass(frozen=True)
class Row:
    """An upright MRZ row made ready for cutting: levelled, padded, and where its text runs."""

    padded: np.ndarray
    margin: int
    top: int
    height: int
    scale: float
    """How much the row was shrunk (`MAX_TEXT_HEIGHT`): crop x times this is row x."""

    @property
    def width(self) -> int:
        return self.padded.shape[1] - 2 * self.margin

    @property
    def pad_y(self) -> int:
        """Rows above and below the text that go into each cell."""
        return int(round(0.2 * self.height))


def prepare_row(crop: np.ndarray) -> Row | None:
    """The row levelled and padded on every side, or None without a clear band of text."""
    grey = level(crop if crop.ndim == 2 else cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY))
    span = text_span(ink_mask(grey))
    if span is None or span[1] - span[0] < MIN_HEIGHT:
        return None
    scale = min(1.0, MAX_TEXT_HEIGHT / (span[1] - span[0]))
    if scale < 1.0:
        grey = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        span = (int(span[0] * scale), int(round(span[1] * scale)))
    height = span[1] - span[0]
    margin = int(WINDOW * PITCH_RANGE[1] * height) + 2
    padded = cv2.copyMakeBorder(grey, margin, margin, margin, margin, cv2.BORDER_REPLICATE).astype(np.float32)
    return Row(padded, margin, span[0], height, scale)


def cut_cells(row: Row, centres: np.ndarray, levels: tuple[float, float] | None = None) -> np.ndarray | None:
    """One cell image per centre (crop x), shape (count, CELL_H, CELL_W), ink 1 and paper 0.

    Each cell is as wide as the spacing around its own centre: a row in
    perspective has a wider pitch at its near end. `levels` are the ink and
    paper grey (`ink_levels` of these cells when not given). None when the
    spacing is implausible for the text's height or the cells would run off
    the row.
    """
    count = len(centres)
    if count < 2:
        return None
    xs = row.scale * np.asarray(centres, dtype=np.float64)
    pitches = np.gradient(xs)
    pitch = (xs[-1] - xs[0]) / (count - 1)
    if pitches.min() <= 0 or not PITCH_RANGE[0] <= pitch / row.height <= PITCH_RANGE[1]:
        return None
    if xs[0] < 0 or xs[-1] + 0.5 * pitches[-1] > row.width:
        return None
    top, bottom = row.margin + row.top - row.pad_y, row.margin + row.top + row.height + row.pad_y
    halves = 0.5 * WINDOW * pitches
    ink, paper = levels if levels is not None else ink_levels(row, centres)
    lefts = np.rint(row.margin + xs - halves).astype(int).tolist()
    rights = np.rint(row.margin + xs + halves).astype(int).tolist()
    cells = np.empty((count, CELL_H, CELL_W), np.float32)
    for i, (a, b) in enumerate(zip(lefts, rights)):
        cells[i] = cv2.resize(row.padded[top:bottom, a : max(b, a + 1)], (CELL_W, CELL_H), interpolation=cv2.INTER_AREA)
    return np.clip((paper - cells) / max(paper - ink, 1.0), 0.0, 1.0).astype(np.float32)


def ink_levels(row: Row, centres: np.ndarray) -> tuple[float, float]:
    """The ink and paper grey of the row's text between these cell centres (2nd and 98th percentiles)."""
    xs = row.scale * np.asarray(centres, dtype=np.float64)
    halves = 0.5 * WINDOW * np.gradient(xs)
    start, end = int(row.margin + xs[0] - halves[0]), int(row.margin + xs[-1] + halves[-1])
    top, bottom = row.margin + row.top - row.pad_y, row.margin + row.top + row.height + row.pad_y
    patch = row.padded[max(top, 0) : max(bottom, 0) : 2, max(start, 0) : max(end, 0) : 2]
    if patch.size == 0:  # centres outside the row (a grid guessed from noise): the row's own levels
        patch = row.padded
    if patch.size == 0:
        return 0.0, 255.0
    ink, paper = np.percentile(patch, (2, 98))
    return float(ink), float(paper)


def even_centres(count: int, ends: tuple[float, float]) -> np.ndarray:
    return np.linspace(ends[0], ends[1], count)


def cell_images(crop: np.ndarray, count: int, ends: tuple[float, float]) -> np.ndarray | None:
    """`count` cells of one upright MRZ row, `ends` being the first and last character's centres, or None."""
    row = prepare_row(crop)
    return None if row is None else cut_cells(row, even_centres(count, ends))


@dataclass(frozen=True)
class CellClassifier:
    """A two-layer perceptron over cell pixels; weights from `mrz_cells_train`."""

    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: np.ndarray

    @classmethod
    def load(cls, path: Path) -> CellClassifier:
        with np.load(path) as data:
            return cls(data["w1"], data["b1"], data["w2"], data["b2"])

    def probabilities(self, cells: np.ndarray) -> np.ndarray:
        """(count, len(MRZ_ALPHABET)) class probabilities, columns in `MRZ_ALPHABET` order."""
        x = cells.reshape(len(cells), -1)
        hidden = np.maximum(x @ self.w1 + self.b1, 0.0)
        logits = hidden @ self.w2 + self.b2
        logits -= logits.max(axis=1, keepdims=True)
        e = np.exp(logits)
        return e / e.sum(axis=1, keepdims=True)

    def read(self, crop: np.ndarray, count: int, ends: tuple[float, float]) -> np.ndarray | None:
        """Class probabilities for `count` cells of an upright row (see `cell_images`), or None."""
        cells = cell_images(crop, count, ends)
        return None if cells is None else self.probabilities(cells)


FILLER = CLASSES.index("<")
FILLER_LOOKALIKES = frozenset("CKESL")
FILLER_VOTE = 0.95
"""A C, K, E, S or L from the recogniser is read as `<` when its cell alone is `<` with at least this probability.

Measured on the band rows of 300 generated photos (read at full width): the
cells turned 37 misread fillers into `<` and no real letter (at 0.9: 39 and
one, the K of a name on a row misaligned by a dropped character). The
cells are not trusted the other way round: alone they miss letters more
often than the recogniser does (97.2% of cells right against its 98.8%).
"""
ROW_AGREEMENT = 0.8
CELL_VOTE = 0.9
"""A cell this sure of another character contests the recogniser's, of the same confirms it (`weigh`).

On the band rows of 300 generated photos (cells on the curved grid): all
confirmations were right; where the two disagreed, the cell was right on
66 of 67 O/0 and 11 of 13 others the recogniser was less than this sure
of, while the recogniser was right on 6 of 7 others it was surer of.
"""
LOOKALIKE_VOTE = 0.7
"""A cell this sure of a digit's look-alike letter (or the other way) contests too.

On the same rows, a 0 whose cell saw O at 0.7 to 0.9 was an O 13 times in
24, so the read is no surer than the cell; at 0.5 to 0.7 it was an O once in 40.
"""
SKIP_FIRST = 2
"""No line has a filler in its first two cells worth this risk: the document code's is only nominated (`nominate_filler`)."""
DOCUMENT_CODE = 1
NOMINATED_SHARE = 0.01
"""Below `mrz_correct.SUPPORT_SHARE` and `mrz_read.FILLER_SHARE`: a nominated `<` never decides a check-digit swap."""


@lru_cache(maxsize=1)
def default_classifier() -> CellClassifier | None:
    """The trained classifier, or None when setup has not trained one or the file is damaged (reading then goes without)."""
    if not MODEL_PATH.exists():
        log.warning("MRZ cell classifier not trained (%s): run scripts/setup.sh", MODEL_PATH)
        return None
    try:
        return CellClassifier.load(MODEL_PATH)
    except (OSError, ValueError, KeyError) as exc:
        log.warning("MRZ cell classifier unreadable (%s: %s): run scripts/setup.sh", MODEL_PATH, exc)
        return None


GRID_DEGREE = 2
"""Cell centres are fitted as a quadratic in the character index: a row photographed in
perspective has a pitch that changes along it, which left straight-grid cells half a
pitch off at the ends and in the middle."""


def fit_centres(indices: np.ndarray, xs: np.ndarray, count: int) -> np.ndarray | None:
    """Centres of cells 0..count-1 fitted through characters at known cells, stray positions left out, or None."""
    if len(indices) < 10:
        return None
    fit = np.polyfit(indices, xs, GRID_DEGREE)
    pitch = (np.polyval(fit, indices[-1]) - np.polyval(fit, indices[0])) / max(indices[-1] - indices[0], 1)
    if pitch <= 0:
        return None
    keep = np.abs(xs - np.polyval(fit, indices)) < 0.3 * pitch
    if keep.sum() < len(indices) // 2:
        return None
    centres = np.polyval(np.polyfit(indices[keep], xs[keep], GRID_DEGREE), np.arange(count, dtype=np.float64))
    return centres if np.all(np.diff(centres) > 0) else None


def row_centres(line: TextLine, crop_width: int) -> np.ndarray | None:
    """Centres of a row's character cells, fitted through the recogniser's positions (`fit_centres`).

    Only for a line read at its full width: then the i-th character is the i-th cell.
    """
    if any(c.position < 0 for c in line.chars):
        return None
    xs = np.array([c.position * crop_width for c in line.chars], dtype=np.float64)
    return fit_centres(np.arange(len(xs), dtype=np.float64), xs, len(xs))


def filler_cells(text: str, probs: np.ndarray) -> set[int]:
    """Positions of filler look-alikes whose cell is `<`, where the cells line up with the text.

    Where the recogniser dropped one character and inserted another, the
    line has its full width but the cells between are one off; a `<` seen
    there belongs to a neighbour. So a change needs both neighbours to agree
    with the text (a look-alike the cell sees as `<` counts as agreeing), and
    the row as a whole to agree on `ROW_AGREEMENT` of its cells.
    """
    seen = "".join(CLASSES[i] for i in probs.argmax(axis=1))
    candidates = {
        i
        for i, c in enumerate(text)
        if i >= SKIP_FIRST and c in FILLER_LOOKALIKES and probs[i, FILLER] >= FILLER_VOTE
    }
    agree = [a == b or (b == "<" and a in FILLER_LOOKALIKES) for a, b in zip(text, seen)]
    if sum(agree) < ROW_AGREEMENT * len(text):
        return set()
    return {i for i in candidates if all(agree[j] for j in (i - 1, i + 1) if 0 <= j < len(text))}


MIN_TELLING = 5
"""Cells seen as letters or digits needed to tell whether the grid lines up with the text (`filler_runs`)."""


RUN_VOTE = 0.7
"""Three cells in a row this sure of `<` are fillers (two must be `FILLER_VOTE` sure): no name has three `<`-like letters together."""


def filler_runs(text: str, probs: np.ndarray) -> set[int]:
    """Positions in runs of cells that are clearly `<` (`RUN_VOTE`), whatever the recogniser read there.

    Blurred or turned rows are sometimes read with every filler as one
    letter (`AAAA`, `CCCC`); the cells still see fillers. Whether the grid
    lines up is told by the cells sure of a letter or digit, which must
    agree with the text on `ROW_AGREEMENT` of them, and by the characters
    on either side of each run (where their cells are sure). No name has two letters together that
    both look like `<` to a classifier sure of it.
    """
    seen = "".join(CLASSES[i] for i in probs.argmax(axis=1))
    telling = [a == b for i, (a, b) in enumerate(zip(text, seen)) if b != "<" and probs[i].max() >= CELL_VOTE]
    if len(telling) < MIN_TELLING or sum(telling) < ROW_AGREEMENT * len(telling):
        return set()
    filler = np.where(np.arange(len(text)) >= SKIP_FIRST, probs[:, FILLER], 0.0)
    lined_up = [a == b or probs[i].max() < CELL_VOTE for i, (a, b) in enumerate(zip(text, seen))]
    found: set[int] = set()
    start = 0
    while start < len(text):
        end = start
        while end < len(text) and filler[end] >= RUN_VOTE:
            end += 1
        long_enough = end - start >= 3 or end - start == 2 and filler[start:end].min() >= FILLER_VOTE
        if long_enough and all(lined_up[j] for j in (start - 1, end) if 0 <= j < len(text)):
            found.update(i for i in range(start, end) if text[i] != "<")
        start = end + 1
    return found


def nominate_filler(char: CharScore, filler: float) -> CharScore:
    """A look-alike whose cell says `<` gets `<` as its runner-up, at a share that only the document code rule acts on.

    A line's second cell is where the fitted spacing is least sure, and the
    second character of a document number is as often a real C or K; but
    on the first line it is the document code, which is `<` far more often
    than a letter (`mrz_correct.fix_document_code_filler`).
    """
    if char.char not in FILLER_LOOKALIKES or filler < FILLER_VOTE or char.runner_up == "<":
        return char
    return CharScore(char.char, char.confidence, "<", NOMINATED_SHARE * char.confidence, char.position)


SHIFTS_FIRST = (-0.15, 0.0, 0.15)
SHIFTS_LAST = (-0.15, 0.0, 0.15, 0.3, 0.45)
"""How far (in pitches) the first and last cell centres are moved in search of the best grid.

The recogniser's positions are a few time steps coarse and run short at
the right end (its last kept step lies past the text). On the band rows of
300 generated photos the search took the cells from 94% to 97% right.
"""


def aligned_probs(classifier: CellClassifier, crop: np.ndarray, line: TextLine) -> np.ndarray | None:
    """Cell probabilities on the grid of cells that best explains the recogniser's full-width text, or None.

    The grid comes from the recogniser's character positions (`row_centres`).
    """
    centres = row_centres(line, crop.shape[1])
    row = None if centres is None else prepare_row(crop)
    if centres is None or row is None:
        return None
    found = best_grid(classifier, row, [centres], np.arange(len(centres)), line.text)
    return None if found is None else found[0]


def best_grid(
    classifier: CellClassifier, row: Row, candidates: list[np.ndarray], cells_of: list[np.ndarray] | np.ndarray, text: str
) -> tuple[np.ndarray, int] | None:
    """(cell probabilities, candidate number) on the grid where the cells best read `text`, or None.

    Each candidate's centres are also moved at either end (`SHIFTS_FIRST`,
    `SHIFTS_LAST`). Character i of `text` sits in cell `cells_of[c][i]` of
    candidate c (one array for all when they share it). The grid on which
    the cells give the text the highest log probability wins, a filler
    look-alike counting as read where its cell is `<` (`filler_cells`), and
    a cell holding no read character counting with its own likeliest class:
    a character dropped at one end leaves blank paper at the other, which
    reads as nothing sure.
    """
    cells, owners = [], []
    for number, centres in enumerate(candidates):
        pitches = np.gradient(centres)
        along = np.linspace(0.0, 1.0, len(centres))
        levels = ink_levels(row, centres)
        for first in SHIFTS_FIRST:
            for last in SHIFTS_LAST:
                grid = cut_cells(row, centres + pitches * (first * (1 - along) + last * along), levels)
                if grid is not None:
                    cells.append(grid)
                    owners.append(number)
    if not cells:
        return None
    count = len(candidates[0])
    probs = classifier.probabilities(np.concatenate(cells)).reshape(len(cells), count, len(CLASSES))
    classes = np.array([CLASSES.index(c) for c in text])
    lookalike = np.array([c in FILLER_LOOKALIKES for c in text])
    at = np.stack([cells_of[number] for number in owners]) if isinstance(cells_of, list) else np.asarray(cells_of)[None, :]
    grids = np.arange(len(probs))[:, None]
    read = probs[grids, at, classes[None, :]]
    read = np.where(lookalike, np.maximum(read, probs[grids, at, FILLER]), read)
    score = np.log(read + 1e-4).sum(axis=1)
    if at.shape[1] < count:
        empty = np.ones((len(probs), count), bool)
        empty[np.broadcast_to(grids, at.shape), at] = False
        score += np.where(empty, np.log(probs.max(axis=2) + 1e-4), 0.0).sum(axis=1)
    best = int(score.argmax())
    return probs[best], owners[best]


MAX_DROPPED = 3
"""Characters the recogniser may have dropped from a row for the cells to read them instead."""


def dropped_steps(gaps: np.ndarray, budget: int) -> list[int] | None:
    """Whole cell steps between consecutive characters, each closest to its measured gap (in pitches), in `budget` cells at most.

    Independent rounding would put two `<` merged into one character 1.5
    pitches from both neighbours two steps from each; the budget (the line's
    width) makes one of them a single step.
    """
    best: dict[int, tuple[float, list[int]]] = {0: (0.0, [])}
    for gap in gaps:
        reached: dict[int, tuple[float, list[int]]] = {}
        for total, (cost, steps) in best.items():
            for step in range(1, MAX_DROPPED + 2):
                if total + step > budget:
                    break
                option = (cost + (gap - step) ** 2, steps + [step])
                if total + step not in reached or option[0] < reached[total + step][0]:
                    reached[total + step] = option
        best = reached
    return min(best.values())[1] if best else None


def dropped_cells(line: TextLine, crop_width: int, width: int) -> list[np.ndarray]:
    """Which cell each read character of a line short of `width` sits in: one array per way the line can fit.

    A dropped character leaves a gap about two pitches wide between the
    recogniser's positions of its neighbours; gaps are measured against the
    local pitch (the median spacing nearby), since perspective changes it
    along the row. Characters dropped at the ends leave no gap, so every
    offset that still fits is a way.
    """
    missing = width - len(line.chars)
    if not 0 < missing <= MAX_DROPPED or len(line.chars) < 10 or any(c.position < 0 for c in line.chars):
        return []
    xs = np.array([c.position * crop_width for c in line.chars], dtype=np.float64)
    spacing = np.diff(xs)
    local = np.array([np.median(spacing[max(0, i - 6) : i + 7]) for i in range(len(spacing))])
    if local.min() <= 0:
        return []
    steps = dropped_steps(spacing / local, width - 1)
    if steps is None:
        return []
    cells = np.concatenate([[0], np.cumsum(steps)])
    return [cells + offset for offset in range(width - cells[-1])]


def filled_in(probs: np.ndarray, position: float) -> CharScore:
    """A character read from its cell alone: below `CELL_VOTE` its runner-up is as likely, so no check digit
    settles on it by chance and a name letter is left to the operator (`mrz._contested_letter`)."""
    first, second = (int(i) for i in np.argsort(probs)[::-1][:2])
    sure = float(probs[first])
    return CharScore(CLASSES[first], sure, CLASSES[second], float(probs[second]) if sure >= CELL_VOTE else sure, position)


def fill_dropped(classifier: CellClassifier, crop: np.ndarray, line: TextLine, width: int) -> TextLine | None:
    """The line at `width` characters, the ones the recogniser dropped read from their cells alone, or None.

    Each read character keeps its place among the cells (`dropped_cells`),
    and the cells' opinion is then given as on any full-width row
    (`with_opinion`). A filled-in character is only as sure as its cell,
    and confirmed by nobody (`filled_in`).
    """
    ways = dropped_cells(line, crop.shape[1], width)
    xs = np.array([c.position * crop.shape[1] for c in line.chars], dtype=np.float64)
    candidates = [(centres, cells) for cells in ways if (centres := fit_centres(cells.astype(np.float64), xs, width)) is not None]
    row = prepare_row(crop) if candidates else None
    if row is None:
        return None
    found = best_grid(classifier, row, [c for c, _ in candidates], [cells for _, cells in candidates], line.text)
    if found is None:
        return None
    probs, number = found
    centres, cells = candidates[number]
    read_at = dict(zip(cells.tolist(), line.chars))
    chars = [read_at[i] if i in read_at else filled_in(probs[i], float(centres[i] / crop.shape[1])) for i in range(width)]
    filled = TextLine("".join(c.char for c in chars), line.confidence, line.box, tuple(chars))
    return with_opinion(filled, probs, frozenset(read_at))


def weigh(char: CharScore, probs: np.ndarray) -> CharScore:
    """The recogniser's character with its cell's opinion: confirmed, contested, or (when unsure) neither.

    A cell confidently seeing the same character confirms it. One
    confidently seeing another (not `<`: see `filler_cells`) leads where
    the recogniser was unsure or the pair is O and 0 (`CELL_VOTE`), with
    the recogniser's reading as a runner-up at least half as likely;
    otherwise it, or a cell fairly sure of a digit's look-alike letter
    (`LOOKALIKE_VOTE`), becomes the runner-up, as likely as the read.
    Either way both readings stay contested and the parser's check digits
    decide (`mrz_correct`); a name letter the readers disagree on is left
    to the operator (`mrz._contested_letter`).
    """
    seen = int(probs.argmax())
    sure = float(probs[seen])
    if CLASSES[seen] == "<" or sure < CELL_VOTE and not (sure >= LOOKALIKE_VOTE and lookalikes(char.char, CLASSES[seen])):
        return char
    if CLASSES[seen] == char.char:
        return replace(char, confirmed=True)
    if sure >= CELL_VOTE and (char.confidence < CELL_VOTE or (char.char, CLASSES[seen]) in INDISTINCT):
        return CharScore(CLASSES[seen], sure, char.char, max(min(char.confidence, sure), 0.5 * sure), char.position)
    return CharScore(char.char, char.confidence, CLASSES[seen], char.confidence * sure, char.position)


def lookalikes(a: str, b: str) -> bool:
    """A digit and the letter it is confused with (`mrz_correct.TO_DIGIT`, `TO_LETTER`)."""
    return TO_DIGIT.get(a) == b or TO_LETTER.get(a) == b or TO_DIGIT.get(b) == a or TO_LETTER.get(b) == a


def second_opinion(classifier: CellClassifier, crop: np.ndarray, line: TextLine) -> TextLine:
    """The full-width line as the cells see it (`with_opinion`), or as read when no grid fits."""
    probs = aligned_probs(classifier, crop, line)
    return line if probs is None else with_opinion(line, probs)


def with_opinion(line: TextLine, probs: np.ndarray, read: frozenset[int] | None = None) -> TextLine:
    """Fillers confirmed (`filler_cells`, `filler_runs`), the document code's nominated, the rest weighed.

    Only characters the recogniser read (`read`, all when None) are
    weighed: one filled in from its cell has no second reader to agree.
    """
    fillers = filler_cells(line.text, probs) | filler_runs(line.text, probs)
    chars = tuple(
        c
        if read is not None and i not in read
        else CharScore("<", float(probs[i, FILLER]), c.char, c.confidence, c.position)
        if i in fillers
        else nominate_filler(weigh(c, probs[i]), float(probs[i, FILLER]))
        if i == DOCUMENT_CODE
        else weigh(c, probs[i])
        for i, c in enumerate(line.chars)
    )
    if chars == line.chars:
        return line
    return TextLine("".join(c.char for c in chars), line.confidence, line.box, chars)
