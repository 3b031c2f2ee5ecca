"""Several reads of the same document agree: a per-character vote weighted by confidence.

The camera sees the same MRZ in many frames, each read with its own small
errors. Every read that has MRZ-shaped lines votes, character by character,
with its OCR confidence, on its lines with every position correction applied
(unproven in one frame, they are what that frame saw); the consensus lines are then parsed and validated
like a single read, so check digits and proven corrections still decide.

Each frame's read of a position is evidence: the character it saw is right
with its confidence p, and otherwise the truth is one of the few characters
OCR confuses it with (`CONFUSABLE`), equally likely. Frames are independent,
so the posterior of a character is the normalised product over frames. One
frame at 0.6 stays 0.6; three agreeing frames at 0.6 give 0.97; two frames
that disagree at 0.6 give 0.41 each, so disagreement lowers confidence
instead of hiding. A character under a check digit that holds in its frame
is much more likely right (a wrong character passes a check digit about one
time in ten), so its frame's confidence is raised accordingly; this keeps
frames that validated from being outvoted by a repeated misreading. A
character of a field its frame found invalid (an unknown state code, an
impossible date) counts for little (`INVALID_CAP`).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from kiosk.ocr.mrz.parse import MrzResult, parse_mrz
from kiosk.ocr.engine.types import CharScore

NO_SCORE = 0.5
"""Weight of a character read without a confidence (text given without scores)."""
CLAMP = (0.01, 0.99)
CHECKED_RESIDUAL = 0.2
"""Share of a character's doubt left once a check digit covering it holds."""
INVALID_CAP = 0.3
CONFUSABLE = 4
"""How many characters a misread usually stands between (O/0/D/Q, <, K, C, E...)."""

Shape = tuple[int, ...]


class MrzConsensus:
    """Collects successive reads of one document; `result` is their consensus.

    Reads of a different shape (a TD1 among TD3 reads) vote for their shape;
    the shape with the most weight wins. `no_mrz` reads are ignored.
    """

    def __init__(self, today: date | None = None) -> None:
        self.today = today
        self.frames = 0
        self._votes: dict[Shape, list[list[dict[str, list[float]]]]] = {}
        self._weight: dict[Shape, float] = defaultdict(float)
        self._seconds: dict[Shape, list[list[dict[str, float]]]] = {}
        self._confirmed: dict[Shape, set[tuple[int, int, str]]] = {}
        self._result: MrzResult | None = None
        self._first: MrzResult | None = None
        """The first read counted: one read's consensus is that read, as it was read."""

    def add(self, read: MrzResult) -> MrzResult:
        """Count one read; returns the consensus so far."""
        if read.status == "no_mrz" or read.format is None:
            return self.result
        self.frames += 1
        if self.frames == 1:
            self._first = read
        char_scores = read.raw_scores or tuple(tuple(CharScore(c, NO_SCORE) for c in line) for line in read.raw_lines)
        read = parse_mrz(read.raw_lines, char_scores, today=self.today, keep_unproven=True)
        lines = read.lines
        shape = tuple(len(line) for line in lines)
        checked = {pos for check in read.checks if check.ok for pos in check.positions}
        invalid = {pos for field in read.fields if not field.valid for pos in field.positions}
        votes = self._votes.setdefault(shape, [[defaultdict(list) for _ in line] for line in lines])
        seconds = self._seconds.setdefault(shape, [[defaultdict(float) for _ in line] for line in lines])
        confirmed = self._confirmed.setdefault(shape, set())
        for row, (line, row_scores) in enumerate(zip(lines, char_scores)):
            for col, (char, char_score) in enumerate(zip(line, row_scores)):
                score = char_score.confidence
                if char_score.confirmed and char == char_score.char:
                    confirmed.add((row, col, char))
                if char_score.runner_up and char_score.confidence > 0:
                    share = char_score.runner_up_confidence / char_score.confidence
                    seconds[row][col][char_score.runner_up] += share
                if (row, col) in checked:
                    score = 1.0 - (1.0 - score) * CHECKED_RESIDUAL
                elif (row, col) in invalid:
                    score = min(score, INVALID_CAP)
                p = min(max(score, CLAMP[0]), CLAMP[1])
                votes[row][col][char].append(p)
                self._weight[shape] += p
        self._result = None
        return self.result

    @property
    def result(self) -> MrzResult:
        if self._result is None:
            self._result = self._consensus()
        return self._result

    @property
    def certain(self) -> bool:
        """Every check digit of the consensus holds."""
        return self.result.ok

    def _consensus(self) -> MrzResult:
        if not self._votes:
            return parse_mrz([], today=self.today)
        if self.frames == 1 and self._first is not None:
            return self._first
        shape = max(self._votes, key=lambda s: self._weight[s])
        lines: list[str] = []
        confidences: list[list[CharScore]] = []
        for r, row in enumerate(self._votes[shape]):
            text, scores = [], []
            for c, column in enumerate(row):
                char, confidence = _vote(column)
                text.append(char)
                scores.append(self._score(shape, r, c, char, confidence))
            lines.append("".join(text))
            confidences.append(scores)
        return parse_mrz(lines, confidences, today=self.today)

    def _score(self, shape: Shape, row: int, col: int, char: str, confidence: float) -> CharScore:
        """The winning character with what the frames' readers said about it.

        Confirmed when the row model read it surely in any frame (`rows.SURE`); its runner-up is
        the other character with the highest share averaged over every frame
        that read the position, so one torn frame among many fades.
        """
        frames = sum(len(ps) for ps in self._votes[shape][row][col].values())
        others = {k: v / frames for k, v in self._seconds[shape][row][col].items() if k != char}
        runner_up = max(others, key=others.__getitem__, default="")
        share = others.get(runner_up, 0.0)
        confirmed = (row, col, char) in self._confirmed[shape]
        return CharScore(char, confidence, runner_up, confidence * share, confirmed=confirmed)


def _vote(column: dict[str, list[float]]) -> tuple[str, float]:
    """The winning character of one position and its posterior probability."""
    frames = [(char, p) for char, ps in column.items() for p in ps]

    def likelihood(candidate: str | None) -> float:
        out = 1.0
        for char, p in frames:
            out *= p if char == candidate else (1.0 - p) / (CONFUSABLE - 1)
        return out

    seen = {char: likelihood(char) for char in column}
    unseen = max(0, CONFUSABLE - len(seen)) * likelihood(None)
    char = max(seen, key=lambda c: (seen[c], len(column[c])))
    return char, seen[char] / (sum(seen.values()) + unseen)
