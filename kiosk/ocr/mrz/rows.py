"""The MRZ row recogniser: a small CTC model over the 37 MRZ symbols, trained here on OCR-B rows.

The general PP-OCR recogniser reads an MRZ row at about 110 px of width per
character and drops characters of widely spaced OCR-B; this one reads rows
narrowed to about 12 px per character (`row_input`), in a few milliseconds a
row. The model (`resources/models/mrz_rows.onnx`, its card beside it) is made
by `training/train_mrz_rows.py` and committed: it is small, and retraining on
every install would take an hour and could differ between CPUs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

import numpy as np

from kiosk.errors import EngineError
from kiosk.ocr.engine.ctc import decode, line_confidence
from kiosk.ocr.engine.models import MRZ_ROWS_MODEL
from kiosk.ocr.engine.types import LineScores, TextLine
from kiosk.ocr.mrz.row_input import CHARSET, WIDTH_SCALE, batch_inputs, row_input

SURE = 0.97
"""A character the model read with at least this probability is taken as printed: marked `confirmed`,
so no check-digit correction swaps it (a spoiled check digit must not be "fixed" by changing a
character the model saw clearly), and a read of only such characters settles (`read.sure_as_printed`)."""
MIN_ROW_HEIGHT = 4
"""Crops lower than this hold no readable character (the model would only guess)."""


class RowRecogniser:
    """Reads upright single MRZ rows (BGR or grey crops). Not thread-safe: one per worker thread."""

    name = "mrz-rows"

    def __init__(self, path: Path = MRZ_ROWS_MODEL, threads: int = 1) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        try:
            self._session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own Fail/InvalidProtobuf/NoSuchFile types
            raise EngineError(f"MRZ row model unreadable: {path} ({type(exc).__name__})") from exc
        self._input = self._session.get_inputs()[0].name

    def recognise_scores(self, crops: Sequence[np.ndarray], scale: float = WIDTH_SCALE) -> list[LineScores]:
        """Per-step class probabilities for each row (column 0 the CTC blank), rows narrowed to `scale`."""
        out: list[LineScores] = []
        for crop in crops:
            if crop.ndim < 2 or min(crop.shape[:2]) < MIN_ROW_HEIGHT:
                out.append(LineScores(np.zeros((0, len(CHARSET)), np.float32), CHARSET))
                continue
            x, steps = batch_inputs([row_input(crop, scale)])
            logp = self._session.run(None, {self._input: x})[0][0, : steps[0]]
            out.append(LineScores(np.exp(logp), CHARSET))
        return out

    def recognise(self, crops: Sequence[np.ndarray], alphabet: str | None = None, scale: float = WIDTH_SCALE) -> list[TextLine]:
        """Each row's text with per-character confidence, runner-up and position (a share of the row's width).

        `alphabet` is accepted for the engine protocol; the model knows only the MRZ's.
        """
        lines = []
        for crop, scores in zip(crops, self.recognise_scores(crops, scale)):
            text, chars = decode(scores.probs, CHARSET)
            chars = tuple(replace(c, confirmed=True) if c.confidence >= SURE else c for c in chars)
            height, width = crop.shape[:2] if crop.ndim >= 2 else (0, 0)
            box = ((0.0, 0.0), (float(width), 0.0), (float(width), float(height)), (0.0, float(height)))
            lines.append(TextLine(text, line_confidence(chars), box, chars))
        return lines


@lru_cache(maxsize=1)
def default_row_recogniser() -> RowRecogniser:
    """The shipped model, one per process; `EngineError` saying what to do when its file is missing or damaged."""
    if not MRZ_ROWS_MODEL.exists():
        raise EngineError(f"MRZ row model missing: {MRZ_ROWS_MODEL}; reinstall the kiosk")
    return RowRecogniser()
