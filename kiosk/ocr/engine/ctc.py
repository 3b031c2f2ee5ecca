"""Greedy CTC decoding with an optional restricted alphabet.

Restricting the alphabet happens on the scores, not on the decoded text: at
each time step only the blank and the allowed characters compete, so a step
the model read as `o` can still yield `O` with the probability it really had.
Lower-case columns are folded into their upper-case letter when only the
upper case is allowed (the MRZ alphabet).
"""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from functools import lru_cache

import numpy as np

from kiosk.ocr.engine.types import CharScore


@lru_cache(maxsize=16)
def _alphabet_columns(charset: tuple[str, ...], alphabet: str | None) -> tuple[np.ndarray, tuple[str, ...]]:
    """Column groups per kept symbol: (index matrix into charset, symbols). Symbol 0 is the blank."""
    if alphabet is None:
        groups = [[i] for i in range(len(charset))]
        return _pad(groups), tuple(_compatible(c) for c in charset)
    index = {c: i for i, c in enumerate(charset)}
    groups: list[list[int]] = [[0]]
    symbols = [charset[0]]
    for char in dict.fromkeys(alphabet):
        cols = [index[char]] if char in index else []
        lower = char.lower()
        if lower != char and lower not in alphabet and lower in index:
            cols.append(index[lower])
        if cols:
            groups.append(cols)
            symbols.append(char)
    return _pad(groups), tuple(symbols)


def _compatible(char: str) -> str:
    """Full-width and other compatibility forms as their plain character (`，` -> `,`)."""
    plain = unicodedata.normalize("NFKC", char)
    return plain if len(plain) == 1 else char


def _pad(groups: list[list[int]]) -> np.ndarray:
    width = max(len(g) for g in groups)
    return np.array([g + [-1] * (width - len(g)) for g in groups], dtype=np.int64)


def fold_scores(probs: np.ndarray, charset: tuple[str, ...], alphabet: str | None) -> tuple[np.ndarray, tuple[str, ...]]:
    """Probabilities over (blank + alphabet) per time step, and those symbols."""
    columns, symbols = _alphabet_columns(charset, alphabet)
    if alphabet is None:
        return probs, symbols
    padded = np.concatenate([probs, np.zeros((probs.shape[0], 1), probs.dtype)], axis=1)
    return padded[:, columns].sum(axis=2), symbols


def decode(probs: np.ndarray, charset: tuple[str, ...], alphabet: str | None = None) -> tuple[str, tuple[CharScore, ...]]:
    """Text and per-character confidence from one line's (T, C) probabilities.

    A character's confidence is its highest probability over the time steps
    it spans; its runner-up is the likeliest other character at that step.
    """
    scores, symbols = fold_scores(probs, charset, alphabet)
    best = scores.argmax(axis=1)
    steps = np.arange(len(best))
    best_p = scores[steps, best]
    others = scores.copy()
    others[:, 0] = -1.0
    others[steps, best] = -1.0
    second = others.argmax(axis=1)
    second_p = others[steps, second]
    chars: list[CharScore] = []
    spans: list[list[int]] = []
    previous = 0
    for t, (idx, p, alt, alt_p) in enumerate(zip(best.tolist(), best_p.tolist(), second.tolist(), second_p.tolist())):
        if idx != 0:
            candidate = CharScore(symbols[idx], p, symbols[alt], max(0.0, alt_p))
            if idx == previous:
                spans[-1][1] = t
                if p > chars[-1].confidence:
                    chars[-1] = candidate
            else:
                chars.append(candidate)
                spans.append([t, t])
        previous = idx
    steps_total = max(len(best), 1)
    chars = [replace(c, position=((a + b) / 2 + 0.5) / steps_total) for c, (a, b) in zip(chars, spans)]
    return "".join(c.char for c in chars), tuple(chars)


def line_confidence(chars: tuple[CharScore, ...]) -> float:
    return float(np.mean([c.confidence for c in chars])) if chars else 0.0
