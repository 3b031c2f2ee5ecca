"""What every OCR engine returns, whatever runs the models."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Sequence

import numpy as np

Point = tuple[float, float]
Box = tuple[Point, Point, Point, Point]

MRZ_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"


@dataclass(frozen=True)
class CharScore:
    """One decoded character, its probability, and the recogniser's second choice at that step.

    `position` is where along the line the recogniser saw it, as a share of
    the line's width (-1 when not known). `confirmed` says the reader is
    sure of it (the MRZ row model at `rows.SURE`): no check-digit swap changes it.
    """

    char: str
    confidence: float
    runner_up: str = ""
    runner_up_confidence: float = 0.0
    position: float = -1.0
    confirmed: bool = False


@dataclass(frozen=True)
class TextLine:
    """One detected text line: its text, confidence (0-1), box and per-character confidences.

    `box` is four (x, y) points, clockwise from top-left, in the coordinates of
    the image given to the engine.
    """

    text: str
    confidence: float
    box: Box
    chars: tuple[CharScore, ...]

    def to_json(self) -> dict[str, object]:
        return {
            "text": self.text,
            "confidence": round(self.confidence, 4),
            "box": [[round(x, 1), round(y, 1)] for x, y in self.box],
        }


@dataclass(frozen=True)
class LineScores:
    """The recogniser's raw output for one line image: class probabilities per time step.

    `probs[t, c]` is the probability of `charset[c]` at step `t`; column 0 is
    the CTC blank. Consumers that need more than the greedy text (MRZ
    consensus over frames, alternatives at a position) start from here.
    """

    probs: np.ndarray
    charset: tuple[str, ...]


class OcrEngine(Protocol):
    """Reads text from BGR uint8 images. Not thread-safe: one engine per worker thread."""

    name: str

    def read(self, image: np.ndarray, alphabet: str | None = None) -> list[TextLine]:
        """Detect and recognise every text line, top to bottom, left to right."""
        ...

    def recognise(self, crops: Sequence[np.ndarray], alphabet: str | None = None) -> list[TextLine]:
        """Recognise already-cropped single-line images; each box is the whole crop."""
        ...

    def recognise_scores(self, crops: Sequence[np.ndarray]) -> list[LineScores]:
        """Per-time-step probabilities for already-cropped single-line images."""
        ...
