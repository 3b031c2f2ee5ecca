"""Choosing and building an OCR engine by name."""

from __future__ import annotations

import logging
import unicodedata
from functools import lru_cache
from importlib.util import find_spec

from kiosk.errors import EngineError
from kiosk.ocr.engine.memory import keep_large_blocks_apart
from kiosk.ocr.engine.pipeline import PipelineEngine
from kiosk.ocr.engine.types import OcrEngine

log = logging.getLogger(__name__)

ENGINE_PACKAGES = {"onnx": "rapidocr_onnxruntime", "paddle": "paddleocr"}


def available_engines() -> list[str]:
    """Engines whose packages are installed."""
    return [name for name, package in ENGINE_PACKAGES.items() if find_spec(package) is not None]


def create_engine(name: str = "onnx", threads: int = 0, max_side: int = 2000) -> OcrEngine:
    """Load an engine's models (a second or two). Nothing here touches the network."""
    keep_large_blocks_apart()
    if name == "onnx":
        from kiosk.ocr.engine.onnx_backend import OnnxBackend

        return PipelineEngine("onnx", OnnxBackend(threads), max_side)
    if name == "paddle":
        from kiosk.ocr.engine.paddle_backend import PaddleBackend

        return PipelineEngine("paddle", PaddleBackend(threads), max_side)
    raise EngineError(f"unknown OCR engine {name!r}; choose from {', '.join(ENGINE_PACKAGES)}")


EAST_ASIAN_SCRIPTS = ("CJK", "HIRAGANA", "KATAKANA", "HALFWIDTH KATAKANA", "HANGUL", "HALFWIDTH HANGUL", "BOPOMOFO", "KANGXI", "IDEOGRAPHIC")


def outside_east_asian_scripts(char: str) -> bool:
    """Whether PP-OCRv6's recogniser keeps `char` in the kiosk: Latin and Greek letters, digits, punctuation,
    currency and other symbols, full-width forms; not the 16,150 ideographs, kana and hangul.

    The kiosk reads MRZs and receipts' vendor, date, amounts and currency;
    without those classes its last layer is 7 times smaller (2,558 of 18,710
    classes) and a receipt reads about 0.1 s faster, every field as before on
    the 135 shared receipts (bench/receipt_eval.py); a Chinese line reads as
    blanks or punctuation.
    """
    try:
        name = unicodedata.name(char)
    except (ValueError, TypeError):
        return False
    return not name.startswith(EAST_ASIAN_SCRIPTS)


def create_v6_recogniser(threads: int = 0) -> PipelineEngine:
    """PP-OCRv6's recogniser alone, without East Asian scripts (receipt text;
    `recognise` only, `read` raises)."""
    from kiosk.ocr.engine.models import pp_ocrv6_rec_model
    from kiosk.ocr.engine.onnx_backend import RecogniserBackend

    return PipelineEngine("pp-ocrv6-rec", RecogniserBackend(pp_ocrv6_rec_model(), threads, outside_east_asian_scripts))


@lru_cache(maxsize=1)
def shared_v6_recogniser() -> PipelineEngine | None:
    """The one PP-OCRv6 recogniser of the process (receipt text), or None when it is not installed."""
    try:
        return create_v6_recogniser()
    except (EngineError, OSError) as exc:
        log.warning("PP-OCRv6 recogniser unavailable (%s): run scripts/setup.sh", exc)
        return None


def receipt_engine(engine: OcrEngine, detect_side: int = 0) -> OcrEngine:
    """`engine`'s detector with PP-OCRv6's recogniser, which reads receipt print better than PP-OCRv4's, finding text
    on the page shrunk to `detect_side` across (0: as it is; see `PipelineEngine.detecting_at`).

    On the 135 shared SROIE receipts (bench/receipt_eval.py) it read vendor 119
    and total 122 right where PP-OCRv4's recogniser read 106 and 118, in about
    the same time. Without the model, PP-OCRv4's recogniser; an engine of another kind as it is.
    """
    if not isinstance(engine, PipelineEngine):
        return engine
    recogniser = shared_v6_recogniser()
    return (engine if recogniser is None else engine.with_recogniser(recogniser)).detecting_at(detect_side)
