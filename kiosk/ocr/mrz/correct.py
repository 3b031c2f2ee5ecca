"""Repair of OCR confusions in MRZ text, each change backed by a proof.

Two kinds of proof are accepted:

- position: ICAO 9303 fixes the character class of a position. Dates and
  check digits are digits, so an `O` there can only be a `0`; state codes and
  names are letters, so a `0` there is an `O`.
- check digit: in alphanumeric fields (document number, optional data) both
  classes are legal, so swaps among the known confusions are made only when
  one set of them (one swap, or two) is likelier than every other set that
  makes the field's check digit hold (`swap_cost`: the recogniser's own
  second choice is likely; O for 0 cannot be ruled out; anything else is
  unlikely). When several are equally likely, nothing is changed and the
  ambiguity is reported. This proof is
  weaker than it looks: a misread outside the known confusions (L read as X)
  leaves about one other swap in ten passing the check by chance, and the
  composite check digit weighs the document number the same way. So a field
  corrected this way is marked (`proof="check"`) and its confidence capped
  below the usual threshold: the operator, or a second frame, confirms it.

A position proof alone is not enough to keep a change: `kiosk.ocr.mrz.parse` keeps
a correction only when a check digit covering it holds afterwards, or, for
characters no check digit covers (names, state codes), when every check digit
of the MRZ holds. So text that is not a genuine MRZ comes back as read,
never "corrected" towards validity.

This module knows grid positions, not MRZ formats; `kiosk.ocr.mrz.parse` says which
positions belong to which field.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import combinations, product

from kiosk.ocr.mrz.icao import check_holds

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
    """The MRZ lines as mutable characters, recording every change.

    `runner_ups` holds, where the recogniser gave one, each position's
    second choice and its share of the first choice's probability;
    `confirmed` the positions the row model read surely (`rows.SURE`).
    """

    def __init__(
        self,
        lines: Sequence[str],
        runner_ups: dict[Pos, tuple[str, float]] | None = None,
        confirmed: frozenset[Pos] = frozenset(),
    ) -> None:
        self.rows = [list(line) for line in lines]
        self.corrections: list[Correction] = []
        self.runner_ups = runner_ups or {}
        self.confirmed = confirmed

    def supported(self, pos: Pos, char: str) -> bool:
        """Whether the recogniser itself nearly read `char` at `pos`."""
        runner_up, share = self.runner_ups.get(pos, ("", 0.0))
        return runner_up == char and share >= SUPPORT_SHARE

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


FILLER_FIRST = frozenset("PIV")
"""Document codes whose commonest form is the letter and a filler (`P<`, `I<`, `V<`)."""


def fix_document_code_filler(grid: Grid, pos: Pos) -> None:
    """The document code's second character: a K, C or E the recogniser nearly read as `<` is `<`.

    `P<`, `I<` and `V<` are by far the commonest codes, so when the
    recogniser had `<` as its second choice at all, `<` is the likelier
    reading. Not after A or C: crew member certificates are `AC`, and `A<`
    is no commoner. No check digit covers it: it is kept only when all hold.
    """
    runner_up, share = grid.runner_ups.get(pos, ("", 0.0))
    first = grid.char((pos[0], pos[1] - 1))
    if first in FILLER_FIRST and grid.char(pos) in FILLER_LOOKALIKES and runner_up == "<" and share > 0:
        grid.change(pos, "<", "document_type: < nearly read, and commoner than a letter here")


def fix_document_letter(grid: Grid, pos: Pos, allowed: str) -> None:
    """The document code's first letter, read as one its format does not allow, becomes one it allows:
    the recogniser's runner-up when that is allowed, else the only letter allowed.

    Two lines of 44 begin with P (a passport) unless they begin with V (a visa,
    read as such by its V), so a Y or F where a small P was printed is a P.
    A letter the recogniser was sure of (`confirmed`) is left as read. No
    check digit covers it: kept only when every check digit holds, which a
    visa's line pair rarely makes when read as a passport's (its last position,
    the passport's composite check digit, is usually a filler).
    """
    read = grid.char(pos)
    if read in allowed or pos in grid.confirmed:
        return
    runner_up, _ = grid.runner_ups.get(pos, ("", 0.0))
    letter = runner_up if runner_up and runner_up in allowed else allowed if len(allowed) == 1 else ""
    if letter:
        grid.change(pos, letter, f"document_type: no document code of this format begins with {read}")


def fix_name(grid: Grid, positions: Sequence[Pos], field: str) -> None:
    """Names hold letters only; after the name ends, `<` misread as K/C/E/L goes back to `<`.

    The name ends at the first `<<` after the surname/given-names separator:
    given names are separated by single fillers, so a second double filler
    can only be the padding.
    """
    force_letters(grid, positions, field)
    text = grid.text(positions)
    for start, end in filler_words(text):
        for i in range(start, end):
            grid.change(positions[i], "<", f"{field}: fillers read as one repeated letter")
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


def filler_words(text: str) -> list[tuple[int, int]]:
    """Spans of name words that are one filler look-alike repeated (`CCCCC`, `KK`): no name is spelt so."""
    spans, start = [], 0
    for word in text.split("<"):
        if len(word) >= 2 and len(set(word)) == 1 and word[0] in FILLER_LOOKALIKES:
            spans.append((start, start + len(word)))
        start += len(word) + 1
    return spans


def prove_by_check(
    grid: Grid,
    field: str,
    data: Sequence[Pos],
    check: Pos,
    free: Sequence[Sequence[Pos]],
    *,
    filler_when_empty: bool = False,
) -> Ambiguity | None:
    """Apply the likeliest set of confusion swaps in `free` that makes the check digit hold, if it alone is likeliest.

    `data` is everything the check digit covers; `free` lists the alphanumeric
    segments in it whose characters may be swapped (each segment is one field,
    for the filler-run rule). Candidates are single swaps and pairs of swaps,
    ranked by `swap_cost` (at most `MAX_SWAP_COST` in all). When several candidates share the lowest cost, the
    field is left as read and the ambiguity reported; so it is when the one
    likeliest leaves a contested character (`contested`) as read, since a
    second misread there would let other swaps fit as well. Does nothing when no
    candidate makes it hold; when the check already holds, see `contested_pair`.
    """
    if grid.holds(data, check, filler_when_empty):
        return contested_pair(grid, field, data, check, free, filler_when_empty)
    options = [
        (pos, alternative, swap_cost(grid, pos, alternative))
        for segment in free
        for i, pos in enumerate(segment)
        for alternative in swaps(grid.text(segment), i)
    ]
    options = [option for option in options if option[2] <= MAX_SWAP_COST]
    found: list[tuple[int, tuple[tuple[Pos, str], ...]]] = []
    for size in (1, 2):
        for combo in combinations(options, size):
            if len({pos for pos, _, _ in combo}) < size:
                continue
            cost = sum(c for _, _, c in combo)
            if cost > MAX_SWAP_COST or (found and cost > min(f[0] for f in found)):
                continue
            changes = tuple((pos, alternative) for pos, alternative, _ in combo)
            if _holds_with(grid, changes, data, check, filler_when_empty):
                found.append((cost, changes))
    if not found:
        return None
    lowest = min(cost for cost, _ in found)
    best = [changes for cost, changes in found if cost == lowest]
    left = [(pos, other) for pos, other, _ in contested(grid, free) if pos not in dict(best[0])]
    if len(best) == 1 and left:
        candidates = _candidates(grid, field, best[0], "makes the check digit hold")
        candidates += _candidates(grid, field, left, "contested, and left as read by that swap")
        return Ambiguity(field, candidates, f"{field}: a swap makes the check digit hold, but leaves a contested character as read")
    if len(best) == 1:
        reason = f"{field}: only likeliest swap that makes the check digit hold"
        for pos, alternative in best[0]:
            grid.change(pos, alternative, reason, proof="check")
        return None
    candidates = _candidates(grid, field, [change for changes in best for change in changes], "makes the check digit hold")
    return Ambiguity(field, candidates, f"{field}: {len(best)} equally likely swaps make the check digit hold")


def contested_pair(
    grid: Grid, field: str, data: Sequence[Pos], check: Pos, free: Sequence[Sequence[Pos]], filler_when_empty: bool
) -> Ambiguity | None:
    """A check digit that holds as read and also with two contested characters swapped proves neither reading.

    Contested means a runner-up with a good share of the read character's
    probability (`contested`): the recogniser torn. Two O read as 0 at
    weights 7 and 3 cancel in the modulo-10 sum, so a number can hold its
    check digit with both wrong; and letters 10 apart (F and P, E, O and Y)
    are the same to it at any weight, so one contested letter is enough.
    A pair counts when its shares multiply to `CONTESTED_SHARE` squared:
    one sure contest and one fair one.
    """
    why = "contested, and the check digit still holds"
    options = contested(grid, free, PAIRED_SHARE)
    for pos, alternative, share in options:
        if share >= CONTESTED_SHARE and _holds_with(grid, ((pos, alternative),), data, check, filler_when_empty):
            candidates = _candidates(grid, field, ((pos, alternative),), why)
            return Ambiguity(field, candidates, f"{field}: the check digit holds as read and with a contested character swapped")
    for (a, x, share_a), (b, y, share_b) in combinations(options, 2):
        pair = ((a, x), (b, y))
        if share_a * share_b >= CONTESTED_SHARE**2 and _holds_with(grid, pair, data, check, filler_when_empty):
            candidates = _candidates(grid, field, pair, why)
            return Ambiguity(field, candidates, f"{field}: the check digit holds as read and with two contested characters swapped")
    return None


def _candidates(grid: Grid, field: str, changes: Sequence[tuple[Pos, str]], why: str) -> tuple[Correction, ...]:
    return tuple(Correction(pos[0], pos[1], grid.char(pos), alternative, f"{field}: {why}") for pos, alternative in changes)


def contested(grid: Grid, free: Sequence[Sequence[Pos]], least: float | None = None) -> list[tuple[Pos, str, float]]:
    """(position, runner-up, share) of characters in `free` whose runner-up (not `<`) has at least `least` (`CONTESTED_SHARE`) of their probability."""
    least = CONTESTED_SHARE if least is None else least
    return [
        (pos, runner_up, share)
        for segment in free
        for pos in segment
        for runner_up, share in [grid.runner_ups.get(pos, ("", 0.0))]
        if share >= least and runner_up not in ("", "<")
    ]


CONTESTED_SHARE = 0.5
PAIRED_SHARE = 0.3
"""The least share for either of a contested pair (`contested_pair`)."""
INDISTINCT = frozenset({("O", "0"), ("0", "O")})
"""Pairs the recogniser cannot tell apart in OCR-B: the letter O and the digit 0 differ by a few percent in height."""
SUPPORT_SHARE = 0.05
"""A swap to the recogniser's own second choice, with at least this share of its first, counts as likely."""
MAX_SWAP_COST = 4
"""One unlikely swap, or two that the image cannot rule out: more fits a modulo-10 check digit by chance too often."""
CONFIRMED_COST = MAX_SWAP_COST + 1
"""The row model read this character surely (`rows.SURE`): no check digit swap may touch it, so a
spoiled check digit is not "fixed" by changing what was printed clearly."""


def swap_cost(grid: Grid, pos: Pos, alternative: str) -> int:
    """How unlikely a swap is: 1 the recogniser's own runner-up, 2 one the image cannot rule out, 4 any other.

    "Cannot rule out" is O for 0 and back, or a filler for its look-alike in
    a run of fillers. A character the row model read surely is never
    swapped (`CONFIRMED_COST`). One unlikely swap ties with two that cannot be ruled
    out and is then not applied: with O/0 misread at random, a single Q or D
    that happens to satisfy a modulo-10 check digit is no proof.
    """
    read = grid.char(pos)
    if pos in grid.confirmed:
        return CONFIRMED_COST
    if grid.supported(pos, alternative):
        return 1
    if (read, alternative) in INDISTINCT or alternative == "<":
        return 2
    return 4


def _holds_with(
    grid: Grid, changes: Sequence[tuple[Pos, str]], data: Sequence[Pos], check: Pos, filler_when_empty: bool
) -> bool:
    saved = [(pos, grid.char(pos)) for pos, _ in changes]
    for pos, alternative in changes:
        grid.rows[pos[0]][pos[1]] = alternative
    holds = grid.holds(data, check, filler_when_empty)
    for pos, char in saved:
        grid.rows[pos[0]][pos[1]] = char
    return holds


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
