"""Recognition engines: text lines with per-character scores from an image, fully offline."""

from kiosk.ocr.engine.engines import available_engines, create_engine
from kiosk.ocr.engine.types import CharScore, LineScores, OcrEngine, TextLine

__all__ = ["CharScore", "LineScores", "OcrEngine", "TextLine", "available_engines", "create_engine"]
