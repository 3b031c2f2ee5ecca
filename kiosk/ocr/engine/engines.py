"""Choosing and building an OCR engine by name."""

from __future__ import annotations

from importlib.util import find_spec

from kiosk.errors import EngineError
from kiosk.ocr.engine.pipeline import PipelineEngine
from kiosk.ocr.engine.types import OcrEngine

ENGINE_PACKAGES = {"onnx": "rapidocr_onnxruntime", "paddle": "paddleocr"}


def available_engines() -> list[str]:
    """Engines whose packages are installed."""
    return [name for name, package in ENGINE_PACKAGES.items() if find_spec(package) is not None]


def create_engine(name: str = "onnx", threads: int = 0, max_side: int = 2000) -> OcrEngine:
    """Load an engine's models (a second or two). Nothing here touches the network."""
    if name == "onnx":
        from kiosk.ocr.engine.onnx_backend import OnnxBackend

        return PipelineEngine("onnx", OnnxBackend(threads), max_side)
    if name == "paddle":
        from kiosk.ocr.engine.paddle_backend import PaddleBackend

        return PipelineEngine("paddle", PaddleBackend(threads), max_side)
    raise EngineError(f"unknown OCR engine {name!r}; choose from {', '.join(ENGINE_PACKAGES)}")


def create_rereader(threads: int = 0) -> OcrEngine:
    """PP-OCRv6's recogniser alone, for reading MRZ rows a second time (`recognise` only; `read` raises)."""
    from kiosk.ocr.engine.models import mrz_rereader_model
    from kiosk.ocr.engine.onnx_backend import RecogniserBackend

    return PipelineEngine("pp-ocrv6-rec", RecogniserBackend(mrz_rereader_model(), threads))
