"""Text recognition: engines, and (later) MRZ and receipt reading on top of them. No Qt here."""

from kiosk.ocr.engines import available_engines, create_engine
from kiosk.ocr.types import CharScore, LineScores, OcrEngine, TextLine

__all__ = ["CharScore", "LineScores", "OcrEngine", "TextLine", "available_engines", "create_engine"]
