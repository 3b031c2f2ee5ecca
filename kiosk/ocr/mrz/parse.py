"""Reading ICAO 9303 MRZ text: format, fields, every check digit, proven corrections.

Text only: no images and no OCR here. The input is the MRZ lines as read
(optionally with a confidence per character); the output is one `MrzResult`
that carries everything the kiosk needs downstream. This parser is the source
of truth; FastMRZ is not used (it raises on malformed dates and imports
pytesseract at module level).

Century rules (two-digit years):
- birth date: 20YY, unless that is after today, then 19YY (nobody is born in
  the future; people over 100 get the wrong century, which ICAO cannot express).
- expiry date: 20YY, unless that is more than 50 years after this year, then
  19YY (no document is valid for 50 years, and expired documents from the
  1990s still come up).

`MrzResult.to_json()` and the fields carry personal data: show them, sync
them, never log them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from kiosk.ocr.mrz.icao import MRZ_CHARS, check_digit, check_holds, is_state_code
from kiosk.ocr.mrz.correct import (
    Ambiguity,
    Correction,
    Grid,
    Pos,
    fix_document_code_filler,
    fix_document_letter,
    fix_name,
    fix_state_code,
    force_digits,
    force_letters,
    prove_by_check,
)
from kiosk.ocr.engine.types import CharScore, TextLine
from kiosk.status import Status
from kiosk.records import PASSPORT_FIELDS, SOURCE_LOCAL, Field, PassportRecord

__all__ = [
    "Ambiguity",
    "CheckResult",
    "Correction",
    "FORMATS",
    "LINE_SHAPES",
    "MrzField",
    "MrzResult",
    "detect_format",
    "field_spans",
    "find_mrz_lines",
    "parse_mrz",
    "parse_mrz_text",
    "parse_text_lines",
    "put_fields",
]

STATUS_OK = Status.OK
STATUS_INVALID = Status.INVALID
STATUS_NO_MRZ = Status.NO_MRZ

FAILED_CHECK_CAP = 0.3
"""A field whose check digit fails (or that is otherwise invalid) is never more confident than this."""
CHECK_SWAP_CAP = 0.5
"""A field corrected only by a check-digit swap is never more confident than this (see mrz_correct)."""
CORRECTION_FACTOR = 0.9
"""Each corrected character in a field multiplies its confidence by this."""

Span = tuple[int, int, int]
"""(line, start, end) with `end` exclusive, all 0-based."""


@dataclass(frozen=True)
class Layout:
    """Where each element sits in one MRZ format (ICAO 9303 parts 4 to 7)."""

    format: str
    shape: tuple[int, ...]
    document_type: Span
    issuing_state: Span
    name: Span
    number: Span
    number_check: Pos
    nationality: Span
    birth_date: Span
    birth_check: Pos
    sex: Pos
    expiry_date: Span
    expiry_check: Pos
    optional: Span
    optional_name: str = "optional_data"
    optional_check: Pos | None = None
    optional_2: Span | None = None
    composite: tuple[Span, ...] = ()
    composite_check: Pos | None = None
    long_number: bool = False


def _two_line(fmt: str, width: int, **extra: object) -> Layout:
    """TD2, TD3 and both visa formats share the second line's first 28 characters."""
    base: dict[str, object] = dict(
        format=fmt,
        shape=(width, width),
        document_type=(0, 0, 2),
        issuing_state=(0, 2, 5),
        name=(0, 5, width),
        number=(1, 0, 9),
        number_check=(1, 9),
        nationality=(1, 10, 13),
        birth_date=(1, 13, 19),
        birth_check=(1, 19),
        sex=(1, 20),
        expiry_date=(1, 21, 27),
        expiry_check=(1, 27),
        optional=(1, 28, width),
    )
    base.update(extra)
    return Layout(**base)  # type: ignore[arg-type]


LAYOUTS: dict[str, Layout] = {
    "TD1": Layout(
        format="TD1",
        shape=(30, 30, 30),
        document_type=(0, 0, 2),
        issuing_state=(0, 2, 5),
        name=(2, 0, 30),
        number=(0, 5, 14),
        number_check=(0, 14),
        nationality=(1, 15, 18),
        birth_date=(1, 0, 6),
        birth_check=(1, 6),
        sex=(1, 7),
        expiry_date=(1, 8, 14),
        expiry_check=(1, 14),
        optional=(0, 15, 30),
        optional_2=(1, 18, 29),
        composite=((0, 5, 30), (1, 0, 7), (1, 8, 15), (1, 18, 29)),
        composite_check=(1, 29),
        long_number=True,
    ),
    "TD2": _two_line(
        "TD2",
        36,
        optional=(1, 28, 35),
        composite=((1, 0, 10), (1, 13, 20), (1, 21, 35)),
        composite_check=(1, 35),
        long_number=True,
    ),
    "TD3": _two_line(
        "TD3",
        44,
        optional=(1, 28, 42),
        optional_name="personal_number",
        optional_check=(1, 42),
        composite=((1, 0, 10), (1, 13, 20), (1, 21, 43)),
        composite_check=(1, 43),
    ),
    "MRVA": _two_line("MRVA", 44),
    "MRVB": _two_line("MRVB", 36),
}
FORMATS = tuple(LAYOUTS)
LINE_SHAPES: tuple[tuple[int, int], ...] = tuple(
    sorted({(layout.shape[0], len(layout.shape)) for layout in LAYOUTS.values()}, reverse=True)
)
"""(line width, line count) of each MRZ shape, widest first: (44, 2), (36, 2), (30, 3)."""


@dataclass(frozen=True)
class MrzField:
    """One field: its value, the characters it was read from, and how far to trust it.

    `value` is the interpreted value (names with spaces, dates as ISO
    YYYY-MM-DD, fillers removed), or None when it cannot be interpreted.
    `raw` is the field's characters as read, before any correction.
    """

    name: str
    value: str | None
    raw: str
    confidence: float
    valid: bool
    reason: str = ""
    positions: tuple[Pos, ...] = ()
    """The (line, index) of every character the field was read from."""

    def to_json(self) -> dict[str, object]:
        return {
            "value": self.value,
            "raw": self.raw,
            "confidence": self.confidence,
            "valid": self.valid,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class CheckResult:
    """One check digit: `expected` is computed from the (corrected) data, `found` is what the MRZ holds."""

    name: str
    ok: bool
    expected: str
    found: str
    reason: str = ""
    positions: tuple[Pos, ...] = ()
    """The (line, index) of every character this check digit covers, itself included."""

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "ok": self.ok,
            "expected": self.expected,
            "found": self.found,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class MrzResult:
    """Everything read from one MRZ.

    `status` is `ok` (every check digit holds and every field is valid),
    `invalid` (an MRZ was read but a check digit fails or a field is not
    valid: see `failed_checks`, `invalid_fields`, `reason`) or `no_mrz` (the
    text is not an MRZ; `reason` says why). `lines` are the corrected lines,
    `raw_lines` the input.
    """

    status: str
    format: str | None
    lines: tuple[str, ...]
    raw_lines: tuple[str, ...]
    fields: tuple[MrzField, ...] = ()
    checks: tuple[CheckResult, ...] = ()
    corrections: tuple[Correction, ...] = ()
    ambiguities: tuple[Ambiguity, ...] = ()
    reason: str = ""
    raw_scores: tuple[tuple[CharScore, ...], ...] = ()
    """What the readers said about each character of `raw_lines` (empty when the text came without scores)."""

    def field(self, name: str) -> MrzField:
        for item in self.fields:
            if item.name == name:
                return item
        raise KeyError(name)

    def value(self, name: str) -> str | None:
        return self.field(name).value

    def check(self, name: str) -> CheckResult:
        for item in self.checks:
            if item.name == name:
                return item
        raise KeyError(name)

    @property
    def ok(self) -> bool:
        return self.status == STATUS_OK

    @property
    def failed_checks(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.checks if not c.ok)

    @property
    def invalid_fields(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if not f.valid)

    @property
    def all_check_digits_valid(self) -> bool:
        return bool(self.checks) and not self.failed_checks

    @property
    def confidence(self) -> float:
        """The weakest field's confidence; 0 when there is no MRZ."""
        return min((f.confidence for f in self.fields), default=0.0)

    def to_record(self, source: str = SOURCE_LOCAL) -> PassportRecord:
        """The passport record the kiosk reviews and syncs; fields read with `source`."""
        return PassportRecord(
            fields={
                f.name: Field(f.value, f.confidence, source, f.valid, f.reason)
                for f in self.fields
                if f.name in PASSPORT_FIELDS
            },
            status=self.status,
            reason=self.reason,
            format=self.format,
            mrz_lines=self.lines,
            checks={c.name: c.ok for c in self.checks},
        )

    def to_json(self) -> dict[str, object]:
        return {
            "status": self.status,
            "format": self.format,
            "reason": self.reason,
            "confidence": self.confidence,
            "all_check_digits_valid": self.all_check_digits_valid,
            "lines": list(self.lines),
            "raw_lines": list(self.raw_lines),
            "fields": {f.name: f.to_json() for f in self.fields},
            "checks": [c.to_json() for c in self.checks],
            "corrections": [c.to_json() for c in self.corrections],
            "ambiguities": [a.to_json() for a in self.ambiguities],
        }


# ---------------------------------------------------------------- public API


def parse_mrz(
    lines: Sequence[str],
    confidences: Sequence[Sequence[CharScore]] | None = None,
    *,
    today: date | None = None,
    correct: bool = True,
    keep_unproven: bool = False,
) -> MrzResult:
    """Parse, correct and validate MRZ lines.

    `confidences`, when given, holds one CharScore per character of each
    line (same lengths as `lines`; ValueError otherwise). Leading/trailing
    whitespace and empty lines are ignored and lowercase is read as
    uppercase. Never raises for bad MRZ content: that gives `no_mrz` or
    `invalid`. `today` fixes the date used for century inference.
    `keep_unproven` keeps position corrections that no check digit proved
    (for voting across frames, never for showing a result).
    """
    prepared = _prepare(lines, confidences)
    if isinstance(prepared, str):
        return _no_mrz(tuple(lines), prepared)
    text, scores = prepared
    layout = detect_format(text)
    if layout is None:
        return _no_mrz(text, _shape_reason(text))
    grid = Grid(text, _runner_ups(scores or ()), _confirmed(scores or ()))
    ambiguities = []
    if correct:
        ambiguities = _correct(grid, LAYOUTS[layout])
        if not keep_unproven:
            _keep_proven(grid, LAYOUTS[layout])
    return _result(LAYOUTS[layout], text, grid, scores, ambiguities, today or date.today())


def parse_mrz_text(text: str, *, today: date | None = None) -> MrzResult:
    """Parse MRZ text given as one string, one MRZ line per text line.

    Other text around the MRZ (an OCR dump of the whole page) is tolerated:
    the first run of consecutive lines shaped like an MRZ is used.
    """
    lines = [line for line in text.splitlines() if line.strip()]
    found = find_mrz_lines(lines)
    return parse_mrz(found if found is not None else lines, today=today)


def parse_text_lines(text_lines: Sequence[TextLine], *, today: date | None = None) -> MrzResult:
    """Parse the lines an OCR engine returned, using its per-character confidences.

    A line whose `chars` do not match its text one to one gets the line's
    own confidence for every character.
    """
    lines = [line.text for line in text_lines]
    return parse_mrz(lines, [_char_scores(line) for line in text_lines], today=today)


def _char_scores(line: TextLine) -> tuple[CharScore, ...]:
    if len(line.chars) == len(line.text):
        return line.chars
    return tuple(CharScore(c, line.confidence) for c in line.text)


def detect_format(lines: Sequence[str]) -> str | None:
    """The MRZ format these lines have by shape (and a leading V for visas), or None."""
    shape = tuple(len(line) for line in lines)
    visa = bool(lines) and lines[0].startswith("V")
    if shape == (30, 30, 30):
        return "TD1"
    if shape == (36, 36):
        return "MRVB" if visa else "TD2"
    if shape == (44, 44):
        return "MRVA" if visa else "TD3"
    return None


def find_mrz_lines(lines: Sequence[str]) -> tuple[str, ...] | None:
    """The first run of consecutive lines that is MRZ-shaped (3x30, 2x36 or 2x44, MRZ alphabet only)."""
    clean = [line.strip().upper() for line in lines if line.strip()]
    for count in (3, 2):
        for start in range(len(clean) - count + 1):
            window = tuple(clean[start : start + count])
            if detect_format(window) and all(set(line) <= MRZ_CHARS for line in window):
                return window
    return None


# ---------------------------------------------------------------- record fields in the lines


def _digit(pos: Pos) -> Span:
    return (pos[0], pos[1], pos[1] + 1)


def field_spans(fmt: str | None) -> dict[str, tuple[Span, ...]]:
    """Where each record field of format `fmt` is printed: field -> its spans, its check digit's last.

    The surname and given names share the name span; the optional data is
    `personal_number` in TD3 (with its own check digit) and `optional_data`
    in the other formats (in two pieces in TD1). Empty for an unknown format.
    """
    layout = LAYOUTS.get(fmt or "")
    if layout is None:
        return {}
    spans: dict[str, tuple[Span, ...]] = {
        "document_type": (layout.document_type,),
        "issuing_country": (layout.issuing_state,),
        "surname": (layout.name,),
        "given_names": (layout.name,),
        "document_number": (layout.number, _digit(layout.number_check)),
        "nationality": (layout.nationality,),
        "birth_date": (layout.birth_date, _digit(layout.birth_check)),
        "sex": (_digit(layout.sex),),
        "expiry_date": (layout.expiry_date, _digit(layout.expiry_check)),
    }
    optional = [layout.optional] + ([layout.optional_2] if layout.optional_2 else [])
    if layout.optional_check is not None:
        optional.append(_digit(layout.optional_check))
    spans[layout.optional_name] = tuple(optional)
    return spans


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def put_fields(
    lines: Sequence[str], fmt: str | None, values: Mapping[str, object]
) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """MRZ `lines` of format `fmt` with record `values` put back in their places, and the fields that do not fit.

    For checking values the operator typed against the check digits the
    document printed: `document_number` (a long TD1/TD2 number in the places
    the printed one took, so only a number of the same length fits),
    `birth_date` and `expiry_date` (ISO, put as YYMMDD) and TD3's
    `personal_number` (spaces as fillers) are put back, shorter values padded
    with `<`. Check digits and every other character stay as printed, and so
    does a field without a value or that does not fit (it is named in the
    second element). None when the lines do not have the format's shape.
    """
    layout = LAYOUTS.get(fmt or "")
    if layout is None or tuple(len(line) for line in lines) != layout.shape:
        return None
    grid = Grid(lines)
    misfits: list[str] = []

    def put(name: str, positions: Sequence[Pos], text: str) -> None:
        if len(text) > len(positions):
            misfits.append(name)
            return
        for pos, char in zip(positions, text.ljust(len(positions), "<")):
            grid.change(pos, char, f"{name}: put back")

    number = values.get("document_number")
    if isinstance(number, str) and number:
        plan = _number_plan(grid, layout)
        long_number = len(plan.data) > len(_positions(layout.number))
        if long_number and len(number) != len(plan.data):
            misfits.append("document_number")  # its check digit is printed right after it
        else:
            put("document_number", plan.data, number)
    for name, span in (("birth_date", layout.birth_date), ("expiry_date", layout.expiry_date)):
        iso = values.get(name)
        if isinstance(iso, str) and _ISO_DATE.match(iso):
            put(name, _positions(span), iso[2:4] + iso[5:7] + iso[8:10])
    optional = values.get(layout.optional_name)
    if layout.optional_check is not None and isinstance(optional, str):
        # Only optional data with its own check digit (TD3): TD1/TD2's shares its places with long numbers.
        put(layout.optional_name, _positions(layout.optional), optional.replace(" ", "<"))
    return grid.lines(), tuple(misfits)


# ---------------------------------------------------------------- input


def _prepare(
    lines: Sequence[str], confidences: Sequence[Sequence[CharScore]] | None
) -> tuple[tuple[str, ...], tuple[tuple[CharScore, ...], ...] | None] | str:
    """Cleaned lines and their character scores, or the reason they are not MRZ text."""
    if confidences is not None and len(confidences) != len(lines):
        raise ValueError(f"{len(confidences)} confidence rows for {len(lines)} lines")
    texts: list[str] = []
    scores: list[tuple[CharScore, ...]] = []
    for i, line in enumerate(lines):
        if confidences is not None and len(confidences[i]) != len(line):
            raise ValueError(f"line {i}: {len(confidences[i])} confidences for {len(line)} characters")
        start = len(line) - len(line.lstrip())
        stripped = line.strip()
        if not stripped:
            continue
        texts.append(stripped.upper())
        if confidences is not None:
            scores.append(tuple(confidences[i][start : start + len(stripped)]))
    if not texts:
        return "no text"
    if any(not set(t) <= MRZ_CHARS for t in texts):
        return "characters outside the MRZ alphabet (A-Z, 0-9, <)"
    return tuple(texts), (tuple(scores) if confidences is not None else None)


def _runner_ups(scores: Sequence[Sequence[CharScore]]) -> dict[Pos, tuple[str, float]]:
    """Each position's second choice and its share of the first choice's probability."""
    return {
        (row, i): (score.runner_up, score.runner_up_confidence / score.confidence)
        for row, line in enumerate(scores)
        for i, score in enumerate(line)
        if score.runner_up and score.confidence > 0
    }


def _confirmed(scores: Sequence[Sequence[CharScore]]) -> frozenset[Pos]:
    """Positions whose character the row model read surely (`rows.SURE`)."""
    return frozenset((row, i) for row, line in enumerate(scores) for i, score in enumerate(line) if score.confirmed)


def _shape_reason(lines: Sequence[str]) -> str:
    lengths = ", ".join(str(len(line)) for line in lines)
    return f"{len(lines)} line(s) of length {lengths}; an MRZ is 3 lines of 30, or 2 lines of 36 or 44"


def _no_mrz(lines: Sequence[str], reason: str) -> MrzResult:
    return MrzResult(STATUS_NO_MRZ, None, tuple(lines), tuple(lines), reason=f"no MRZ: {reason}")


# ---------------------------------------------------------------- correction


def _positions(*spans: Span | None) -> list[Pos]:
    """Every (line, index) the spans cover, in order."""
    out: list[Pos] = []
    for span in spans:
        if span is not None:
            line, start, end = span
            out.extend((line, i) for i in range(start, end))
    return out


@dataclass(frozen=True)
class NumberPlan:
    """Where the document number's data and check digit are, after the long-number rule.

    TD1/TD2 numbers longer than 9 characters put `<` in the check position
    and continue in the optional data: the rest of the number, its check
    digit, then a filler. `check` is None when no check digit can be found.
    """

    data: list[Pos]
    check: Pos | None
    optional: list[Pos]
    all: list[Pos]


def _number_plan(grid: Grid, layout: Layout) -> NumberPlan:
    number = _positions(layout.number)
    optional = _positions(layout.optional)
    if not (layout.long_number and grid.char(layout.number_check) == "<"):
        return NumberPlan(number, layout.number_check, optional, number + [layout.number_check])
    text = grid.text(optional)
    length = text.find("<") if "<" in text else len(text)
    if length == 0:
        return NumberPlan(number, None, optional, number + [layout.number_check])
    data = number + optional[: length - 1]
    check = optional[length - 1]
    return NumberPlan(data, check, optional[length:], number + [layout.number_check] + optional[:length])


def _correct(grid: Grid, layout: Layout) -> list[Ambiguity]:
    """Fix what position rules prove, then what check digits prove; return what stays ambiguous."""
    force_letters(grid, _positions(layout.document_type), "document_type")
    fix_document_letter(grid, _positions(layout.document_type)[0], DOCUMENT_LETTERS[layout.format])
    fix_document_code_filler(grid, _positions(layout.document_type)[1])
    ambiguities = [
        fix_state_code(grid, _positions(layout.issuing_state), "issuing_country", is_state_code),
        fix_state_code(grid, _positions(layout.nationality), "nationality", is_state_code),
    ]
    fix_name(grid, _positions(layout.name), "name")
    force_digits(grid, _positions(layout.birth_date) + [layout.birth_check], "birth_date")
    force_digits(grid, _positions(layout.expiry_date) + [layout.expiry_check], "expiry_date")
    checks = [p for p in (layout.number_check, layout.optional_check, layout.composite_check) if p]
    force_digits(grid, checks, "check digit")
    plan = _number_plan(grid, layout)
    if plan.check is not None and plan.check != layout.number_check:
        force_digits(grid, [plan.check], "check digit")
        plan = _number_plan(grid, layout)
    if plan.check is not None:
        ambiguities.append(prove_by_check(grid, "document_number", plan.data, plan.check, [plan.data]))
    if layout.optional_check is not None:
        optional = _positions(layout.optional)
        ambiguities.append(
            prove_by_check(
                grid, layout.optional_name, optional, layout.optional_check, [optional], filler_when_empty=True
            )
        )
    ambiguities.append(_correct_by_composite(grid, layout))
    return [a for a in ambiguities if a is not None]


def _keep_proven(grid: Grid, layout: Layout) -> None:
    """Keep corrections under a check digit that holds; the rest only when every check holds."""
    checks = _checks(grid, layout, _number_plan(grid, layout))
    if all(c.ok for c in checks):
        return
    grid.keep_only({pos for c in checks if c.ok for pos in c.positions})


def _correct_by_composite(grid: Grid, layout: Layout) -> Ambiguity | None:
    """Optional data with no check digit of its own (TD1, TD2) is proven by the composite alone.

    Tried only when every other check holds: otherwise the composite failure
    is explained by the field that already failed.
    """
    if layout.composite_check is None or layout.optional_check is not None:
        return None
    plan = _number_plan(grid, layout)  # the number fix may have moved the end of a long number
    if not all(c.ok for c in _checks(grid, layout, plan) if c.name != "composite"):
        return None
    free = [plan.optional] + ([_positions(layout.optional_2)] if layout.optional_2 else [])
    return prove_by_check(grid, "composite", _positions(*layout.composite), layout.composite_check, free)


# ---------------------------------------------------------------- validation


def _check(
    grid: Grid, name: str, data: Sequence[Pos], check: Pos | None, filler_when_empty: bool = False
) -> CheckResult:
    text = grid.text(data)
    expected = check_digit(text)
    if check is None:
        return CheckResult(name, False, expected, "", f"{name}: no check digit found after the long number")
    found = grid.char(check)
    covered = (*data, check)
    if check_holds(text, found, filler_when_empty=filler_when_empty):
        return CheckResult(name, True, expected, found, positions=covered)
    reason = f"{name} check digit: expected {expected}, read {found}"
    return CheckResult(name, False, expected, found, reason, positions=covered)


def _checks(grid: Grid, layout: Layout, plan: NumberPlan) -> list[CheckResult]:
    checks = [
        _check(grid, "document_number", plan.data, plan.check),
        _check(grid, "birth_date", _positions(layout.birth_date), layout.birth_check),
        _check(grid, "expiry_date", _positions(layout.expiry_date), layout.expiry_check),
    ]
    if layout.optional_check is not None:
        checks.append(_check(grid, layout.optional_name, _positions(layout.optional), layout.optional_check, True))
    if layout.composite_check is not None:
        checks.append(_check(grid, "composite", _positions(*layout.composite), layout.composite_check))
    return checks


@dataclass(frozen=True)
class _Context:
    """What every field builder needs: the corrected grid, the input, confidences and corrections."""

    grid: Grid
    raw: tuple[str, ...]
    scores: tuple[tuple[CharScore, ...], ...] | None
    checks: dict[str, CheckResult]
    ambiguous: frozenset[str]

    def make(
        self, name: str, value: str | None, positions: Sequence[Pos], reason: str = ""
    ) -> MrzField:
        raw = "".join(self.raw[line][i] for line, i in positions)
        valid = not reason
        confidence = self._confidence(positions, valid)
        return MrzField(name, value, raw, confidence, valid, reason, tuple(positions))

    def _confidence(self, positions: Sequence[Pos], valid: bool) -> float:
        chars = [self.scores[line][i].confidence for line, i in positions] if self.scores else []
        value = min(chars, default=1.0)
        corrected = {(c.line, c.position): c.proof for c in self.grid.corrections}
        value *= CORRECTION_FACTOR ** sum(1 for p in positions if p in corrected)
        if any(corrected.get(p) == "check" for p in positions):
            value = min(value, CHECK_SWAP_CAP)
        if not valid:
            value = min(value, FAILED_CHECK_CAP)
        return round(max(0.0, min(1.0, value)), 4)

    def check_reason(self, name: str) -> str:
        if name in self.ambiguous:
            return f"{name}: several corrections fit, none applied"
        check = self.checks.get(name)
        return "" if check is None or check.ok else check.reason


def _result(
    layout: Layout,
    raw: tuple[str, ...],
    grid: Grid,
    scores: tuple[tuple[CharScore, ...], ...] | None,
    ambiguities: list[Ambiguity],
    today: date,
) -> MrzResult:
    plan = _number_plan(grid, layout)
    checks = _checks(grid, layout, plan)
    ctx = _Context(grid, raw, scores, {c.name: c for c in checks}, frozenset(a.field for a in ambiguities))
    fields = (
        _document_type(ctx, layout),
        _state(ctx, "issuing_country", layout.issuing_state),
        *_names(ctx, layout),
        _number(ctx, plan),
        _state(ctx, "nationality", layout.nationality),
        _date(ctx, "birth_date", layout.birth_date, layout.birth_check, today),
        _sex(ctx, layout),
        _date(ctx, "expiry_date", layout.expiry_date, layout.expiry_check, today),
        *_optional(ctx, layout, plan),
    )
    failed = [c.name for c in checks if not c.ok]
    invalid = [f.name for f in fields if not f.valid]
    status = STATUS_OK if not failed and not invalid else STATUS_INVALID
    return MrzResult(
        status=status,
        format=layout.format,
        lines=grid.lines(),
        raw_lines=raw,
        fields=fields,
        checks=tuple(checks),
        corrections=tuple(grid.corrections),
        ambiguities=tuple(ambiguities),
        reason=_status_reason(failed, invalid),
        raw_scores=scores or (),
    )


def _status_reason(failed: list[str], invalid: list[str]) -> str:
    parts = []
    if failed:
        parts.append("failed check digits: " + ", ".join(failed))
    if invalid:
        parts.append("invalid fields: " + ", ".join(invalid))
    return "; ".join(parts)


# ---------------------------------------------------------------- fields


DOCUMENT_LETTERS = {"TD1": "ACI", "TD2": "ACI", "TD3": "P", "MRVA": "V", "MRVB": "V"}
"""The first letter of the document code each format allows (ICAO 9303 parts 4 to 7)."""


def _document_type(ctx: _Context, layout: Layout) -> MrzField:
    positions = _positions(layout.document_type)
    text = ctx.grid.text(positions)
    reason = ""
    if not text[0].isalpha() or not (text[1].isalpha() or text[1] == "<"):
        reason = "document type must be a letter, then a letter or <"
    elif text[0] not in DOCUMENT_LETTERS[layout.format]:
        reason = f"a {layout.format} document type starts with {' or '.join(DOCUMENT_LETTERS[layout.format])}"
    return ctx.make("document_type", text.rstrip("<"), positions, reason)


def _state(ctx: _Context, name: str, span: Span) -> MrzField:
    positions = _positions(span)
    text = ctx.grid.text(positions)
    if name in ctx.ambiguous:
        reason = f"{name}: several known codes fit, none applied"
    elif not is_state_code(text):
        reason = f"{name}: not an ICAO 9303 state code"
    else:
        reason = ""
    return ctx.make(name, text.rstrip("<"), positions, reason)


def _names(ctx: _Context, layout: Layout) -> tuple[MrzField, MrzField]:
    """Surname and given names: primary and secondary identifier, split at the first `<<`."""
    positions = _positions(layout.name)
    text = ctx.grid.text(positions)
    split = text.find("<<")
    no_separator = split < 0
    if no_separator:
        split = len(text)
    surname_at, given_at = positions[:split], positions[split + 2 :]
    given_text = text[split + 2 :]
    given, _, rest = given_text.partition("<<")
    surname = _words(text[:split])
    surname_reason = "no surname" if not surname else _letters_reason(text[:split])
    if no_separator and not surname_reason:
        # Legal only for a surname that fills the field; far more often fillers misread as letters.
        surname_reason = "no << after the surname: fillers may be misread as letters"
    given_reason = _letters_reason(given)
    if not given_reason and rest.strip("<"):
        given_reason = "characters after the end of the name"
    surname_reason = surname_reason or _contested_letter(ctx.grid, surname_at)
    given_reason = given_reason or _contested_letter(ctx.grid, given_at)
    return (
        ctx.make("surname", surname, surname_at, surname_reason),
        ctx.make("given_names", _words(given), given_at, given_reason),
    )


NAME_DOUBT_SHARE = 0.3
"""A name letter whose runner-up letter has this share of its probability is doubted.

Lower than `mrz_correct.CONTESTED_SHARE`: a check digit backs the other
fields, nothing backs a name. On 300 generated photos not used for tuning,
CHIMAMANDA was read CHIMAMANOA with D at 0.49 of O.
"""


def _contested_letter(grid: Grid, positions: Sequence[Pos]) -> str:
    """Why a name is not proven when a letter in it was as likely another letter.

    No check digit covers names, so a letter the recogniser was torn on is left to the operator.
    """
    for pos in positions:
        runner_up, share = grid.runner_ups.get(pos, ("", 0.0))
        if share >= NAME_DOUBT_SHARE and runner_up.isalpha() and grid.char(pos).isalpha():
            return f"a letter may be {runner_up}: the reader was unsure, check the name"
    return ""


def _words(text: str) -> str:
    return " ".join(part for part in text.split("<") if part)


def _letters_reason(text: str) -> str:
    if not all(c.isalpha() or c == "<" for c in text):
        return "name contains digits"
    tripled = re.search(r"([KCEL])\1\1", text)
    if tripled:
        return f"{tripled.group()} in a name: fillers may be misread as letters"
    return ""


def _number(ctx: _Context, plan: NumberPlan) -> MrzField:
    value = ctx.grid.text(plan.data).replace("<", "")
    return ctx.make("document_number", value, plan.all, ctx.check_reason("document_number"))


def _date(ctx: _Context, name: str, span: Span, check: Pos, today: date) -> MrzField:
    positions = _positions(span)
    value, reason = _parse_date(ctx.grid.text(positions), name == "birth_date", today)
    reason = f"{name}: {reason}" if reason else ctx.check_reason(name)
    return ctx.make(name, value, positions + [check], reason)


def _parse_date(text: str, is_birth: bool, today: date) -> tuple[str | None, str]:
    """ISO date from YYMMDD, or None and why not."""
    if "<" in text:
        return None, "date is incomplete (fillers in place of digits)"
    if not text.isdigit():
        return None, "date contains letters"
    yy, month, day = int(text[:2]), int(text[2:4]), int(text[4:])
    if not 1 <= month <= 12:
        return None, f"month {month:02d} does not exist"
    year = 2000 + yy
    if is_birth and (year, month, day) > (today.year, today.month, today.day):
        year -= 100
    if not is_birth and year > today.year + 50:
        year -= 100
    try:
        return date(year, month, day).isoformat(), ""
    except ValueError:
        return None, f"day {day:02d} does not exist in {year:04d}-{month:02d}"


def _sex(ctx: _Context, layout: Layout) -> MrzField:
    char = ctx.grid.char(layout.sex)
    if char in "MF":
        return ctx.make("sex", char, [layout.sex])
    if char in "X<":
        return ctx.make("sex", "X", [layout.sex])
    return ctx.make("sex", None, [layout.sex], "sex must be M, F, X or < (unspecified)")


def _optional(ctx: _Context, layout: Layout, plan: NumberPlan) -> tuple[MrzField, ...]:
    """Optional data: checked by its own digit (TD3), by the composite (TD1, TD2) or not at all (visas)."""
    own = layout.optional_check is not None
    positions = _positions(layout.optional) + [layout.optional_check] if own else plan.optional
    if own:
        reason = ctx.check_reason(layout.optional_name)
    elif layout.composite_check is not None:
        reason = ctx.check_reason("composite")
    else:
        reason = ""
    data = positions[:-1] if own else positions
    first = ctx.make(layout.optional_name, ctx.grid.text(data).strip("<"), positions, reason)
    if layout.optional_2 is None:
        return (first,)
    second_at = _positions(layout.optional_2)
    return first, ctx.make("optional_data_2", ctx.grid.text(second_at).strip("<"), second_at, reason)
