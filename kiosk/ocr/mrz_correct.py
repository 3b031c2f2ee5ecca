"""Repair of OCR confusions in MRZ text, each change backed by a proof.

Two kinds of proof are accepted:

- position: ICAO 9303 fixes the character class of a position. Dates and
  check digits are digits, so an `O` there can only be a `0`; state codes and
  names are letters, so a `0` there is an `O`.
- check digit: in alphanumeric fields (document number, optional data) both
  classes are legal, so a swap is made only when exactly one single-character
  swap among the known confusions makes the field's check digit hold. When
  several do, nothing is changed and the ambiguity is reported. This proof is
  weaker than it looks: a misread outside the known confusions (L read as X)
  leaves about one other swap in ten passing the check by chance, and the
  composite check digit weighs the document number the same way. So a field
  corrected this way is marked (`proof="check"`) and its confidence capped
  below the usual threshold: the operator, or a second frame, confirms it.

A position proof alone is not enough to keep a change: `kiosk.ocr.mrz` keeps
a correction only when a check digit covering it holds afterwards, or, for
characters no check digit covers (names, state codes), when every check digit
of the MRZ holds. So text that is not a genuine MRZ comes back as read,
never "corrected" towards validity.

This module knows grid positions, not MRZ formats; `kiosk.ocr.mrz` says which
positions belong to which field.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import product

from kiosk.ocr.icao import check_holds

Pos = tuple[int, int]
"""(line, index), both 0-based."""

TO_DIGIT = {"O": "0", "Q": "0", "D": "0", "I": "1", "B": "8", "S": "5", "Z": "2", "G": "6"}
TO_LETTER = {"0": "O", "1": "I", "8": "B", "5": "S", "2": "Z", "6": "G"}
# Every letter a digit may have been in a letter position; the first is the likeliest.
LETTERS_FOR_DIGIT = {"0": "ODQ", "1": "I", "8": "B", "5": "S", "2": "Z", "6": "G"}
FILLER_LOOKALIKES = frozenset("KCEL")


@dataclass(frozen=True)
class Correction:
    """One changed character; `line` and `position` are 0-based."""

    line: int
    position: int
    from_char: str
    to_char: str
    reason: str
    proof: str = "position"
    """`position` (ICAO fixes the character class) or `check` (the only swap that makes a check digit hold)."""

    def to_json(self) -> dict[str, object]:
        return {
            "line": self.line,
            "position": self.position,
            "from": self.from_char,
            "to": self.to_char,
            "reason": self.reason,
            "proof": self.proof,
        }


@dataclass(frozen=True)
class Ambiguity:
    """Several equally proven fixes for one field; none was applied."""

    field: str
    candidates: tuple[Correction, ...]
    reason: str

    def to_json(self) -> dict[str, object]:
        return {
            "field": self.field,
            "candidates": [c.to_json() for c in self.candidates],
            "reason": self.reason,
        }


class Grid:
    """The MRZ lines as mutable characters, recording every change."""

    def __init__(self, lines: Sequence[str]) -> None:
        self.rows = [list(line) for line in lines]
        self.corrections: list[Correction] = []

    def char(self, pos: Pos) -> str:
        return self.rows[pos[0]][pos[1]]

    def text(self, positions: Sequence[Pos]) -> str:
        return "".join(self.char(p) for p in positions)

    def lines(self) -> tuple[str, ...]:
        return tuple("".join(row) for row in self.rows)

    def change(self, pos: Pos, char: str, reason: str, proof: str = "position") -> None:
        old = self.char(pos)
        if old == char:
            return
        self.rows[pos[0]][pos[1]] = char
        self.corrections.append(Correction(pos[0], pos[1], old, char, reason, proof))

    def keep_only(self, proven: set[Pos]) -> None:
        """Undo every correction outside `proven`, restoring the characters as read."""
        kept = []
        for correction in reversed(self.corrections):
            pos = (correction.line, correction.position)
            if pos in proven:
                kept.append(correction)
            else:
                self.rows[pos[0]][pos[1]] = correction.from_char
        self.corrections = kept[::-1]

    def holds(self, data: Sequence[Pos], check: Pos, filler_when_empty: bool) -> bool:
        return check_holds(self.text(data), self.char(check), filler_when_empty=filler_when_empty)


def force_digits(grid: Grid, positions: Sequence[Pos], field: str) -> None:
    """Letters that look like digits become digits; `<` and other letters are left for validation."""
    for pos in positions:
        char = grid.char(pos)
        if char in TO_DIGIT:
            grid.change(pos, TO_DIGIT[char], f"{field}: digit required")


def force_letters(grid: Grid, positions: Sequence[Pos], field: str) -> None:
    """Digits that look like letters become letters."""
    for pos in positions:
        char = grid.char(pos)
        if char in TO_LETTER:
            grid.change(pos, TO_LETTER[char], f"{field}: letter required")


def fix_state_code(
    grid: Grid, positions: Sequence[Pos], field: str, known: Callable[[str], bool]
) -> Ambiguity | None:
    """Turn digits in a state code into letters, using the code list to choose between O, D and Q.

    A `0` may be any of three letters; the one that gives a known code wins.
    If no letters give a known code the field is left as read (validation
    flags it); if several do, it is left and the ambiguity reported.
    """
    text = grid.text(positions)
    digit_slots = [i for i, c in enumerate(text) if c in LETTERS_FOR_DIGIT]
    if not digit_slots:
        return None
    options = [LETTERS_FOR_DIGIT[text[i]] for i in digit_slots]
    matches = []
    for choice in product(*options):
        candidate = list(text)
        for i, letter in zip(digit_slots, choice):
            candidate[i] = letter
        if known("".join(candidate)):
            matches.append(choice)
    if len(matches) > 1:
        candidates = tuple(
            Correction(*positions[i], text[i], letter, f"{field}: gives a known code")
            for choice in matches
            for i, letter in zip(digit_slots, choice)
            if text[i] != letter
        )
        return Ambiguity(field, candidates, f"{field}: {len(matches)} known codes fit")
    for i, letter in zip(digit_slots, matches[0] if matches else ()):
        grid.change(positions[i], letter, f"{field}: letter required, gives a known code")
    return None


def fix_name(grid: Grid, positions: Sequence[Pos], field: str) -> None:
    """Names hold letters only; after the name ends, `<` misread as K/C/E/L goes back to `<`.

    The name ends at the first `<<` after the surname/given-names separator:
    given names are separated by single fillers, so a second double filler
    can only be the padding.
    """
    force_letters(grid, positions, field)
    text = grid.text(positions)
    separator = text.find("<<")
    if separator < 0:
        return
    end = text.find("<<", separator + 2)
    if end < 0:
        return
    for i in range(end, len(text)):
        if text[i] in FILLER_LOOKALIKES:
            grid.change(positions[i], "<", f"{field}: filler after the name")


def prove_by_check(
    grid: Grid,
    field: str,
    data: Sequence[Pos],
    check: Pos,
    free: Sequence[Sequence[Pos]],
    *,
    filler_when_empty: bool = False,
) -> Ambiguity | None:
    """Apply the single confusion swap in `free` that makes the check digit hold, if it is the only one.

    `data` is everything the check digit covers; `free` lists the alphanumeric
    segments in it whose characters may be swapped (each segment is one field,
    for the filler-run rule). Does nothing when the check already holds or no
    swap makes it hold.
    """
    if grid.holds(data, check, filler_when_empty):
        return None
    found = []
    for segment in free:
        text = grid.text(segment)
        for i, pos in enumerate(segment):
            for alternative in swaps(text, i):
                grid.rows[pos[0]][pos[1]] = alternative
                if grid.holds(data, check, filler_when_empty):
                    reason = f"{field}: only swap that makes the check digit hold"
                    found.append(Correction(pos[0], pos[1], text[i], alternative, reason))
                grid.rows[pos[0]][pos[1]] = text[i]
    if len(found) == 1:
        fix = found[0]
        grid.change((fix.line, fix.position), fix.to_char, fix.reason, proof="check")
        return None
    if len(found) > 1:
        candidates = tuple(
            Correction(c.line, c.position, c.from_char, c.to_char, f"{field}: makes the check digit hold")
            for c in found
        )
        return Ambiguity(field, candidates, f"{field}: {len(found)} different swaps make the check digit hold")
    return None


def swaps(text: str, i: int) -> str:
    """The characters the one at `text[i]` may really be, in an alphanumeric field."""
    char = text[i]
    if char in TO_DIGIT:
        alternatives = TO_DIGIT[char]
    elif char in LETTERS_FOR_DIGIT:
        alternatives = LETTERS_FOR_DIGIT[char]
    else:
        alternatives = ""
    if char in FILLER_LOOKALIKES and in_filler_run(text, i):
        alternatives += "<"
    return alternatives


def in_filler_run(text: str, i: int) -> bool:
    """Whether `text[i]` follows a filler and only fillers or their look-alikes follow it."""
    rest_is_filler = all(c == "<" or c in FILLER_LOOKALIKES for c in text[i + 1 :])
    return i > 0 and text[i - 1] == "<" and rest_is_filler
