"""PP-OCRv4 on ONNX Runtime, with the weights from the rapidocr_onnxruntime wheel.

Detection and orientation use rapidocr's PaddleOCR-aligned pre/post-processing;
recognition runs the model directly so the raw per-step scores are kept.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from kiosk.errors import EngineError
from kiosk.ocr.models import onnx_model_paths

DET_OPTIONS = {
    "limit_side_len": 736,
    "limit_type": "min",
    "mean": [0.5, 0.5, 0.5],
    "std": [0.5, 0.5, 0.5],
    "thresh": 0.3,
    "box_thresh": 0.5,
    "max_candidates": 1000,
    "unclip_ratio": 1.6,
    "use_dilation": True,
    "score_mode": "fast",
}
CLS_OPTIONS = {"cls_image_shape": [3, 48, 192], "cls_batch_num": 6, "cls_thresh": 0.9, "label_list": ["0", "180"]}


class OnnxBackend:
    def __init__(self, threads: int = 0) -> None:
        try:
            import onnxruntime as ort
            from rapidocr_onnxruntime.ch_ppocr_cls import TextClassifier
            from rapidocr_onnxruntime.ch_ppocr_det import TextDetector
        except ImportError as exc:
            raise EngineError(f"the onnx engine is not installed ({exc.name} missing): run scripts/setup.sh") from None
        paths = onnx_model_paths()
        for path in paths.values():
            if not path.exists():
                raise EngineError(f"OCR model missing: {path}; reinstall rapidocr_onnxruntime==1.4.4")
        common = {"use_cuda": False, "use_dml": False, "intra_op_num_threads": threads or -1, "inter_op_num_threads": -1}
        self.detector = TextDetector({**common, **DET_OPTIONS, "model_path": str(paths["det"])})
        self.classifier = TextClassifier({**common, **CLS_OPTIONS, "model_path": str(paths["cls"])})
        options = ort.SessionOptions()
        options.log_severity_level = 4
        options.enable_cpu_mem_arena = False
        if threads:
            options.intra_op_num_threads = threads
        self.rec = ort.InferenceSession(str(paths["rec"]), sess_options=options, providers=["CPUExecutionProvider"])
        self.rec_input = self.rec.get_inputs()[0].name
        characters = self.rec.get_modelmeta().custom_metadata_map["character"].splitlines()
        self.charset: tuple[str, ...] = ("<blank>", *characters, " ")

    def detect(self, image: np.ndarray) -> np.ndarray:
        boxes, _ = self.detector(image)
        return np.zeros((0, 4, 2), np.float32) if boxes is None or len(boxes) == 0 else np.asarray(boxes, np.float32)

    def upside_down(self, crops: Sequence[np.ndarray]) -> list[bool]:
        if not crops:
            return []
        _, results, _ = self.classifier(list(crops))
        return [label == "180" and score > CLS_OPTIONS["cls_thresh"] for label, score in results]

    def run_recogniser(self, batch: np.ndarray) -> np.ndarray:
        return self.rec.run(None, {self.rec_input: batch})[0]
