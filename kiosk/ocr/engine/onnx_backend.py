"""PP-OCRv4 on ONNX Runtime, with the weights from the rapidocr_onnxruntime wheel, and any PP-OCR
recogniser alone (`RecogniserBackend`: PP-OCRv6's, for receipt text).

Detection and orientation use rapidocr's PaddleOCR-aligned pre/post-processing;
recognition runs the model directly so the raw per-step scores are kept.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np

from kiosk.errors import EngineError
from kiosk.ocr.engine.models import onnx_model_paths
from kiosk.ocr.engine.pipeline import DET_MIN_SIDE

if TYPE_CHECKING:
    from onnxruntime import InferenceSession, SessionOptions

DET_OPTIONS = {
    "limit_side_len": DET_MIN_SIDE,
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


def session_options(threads: int = 0) -> SessionOptions:
    """Options for our ONNX Runtime sessions: silent, on `threads` workers (0: every core) that sleep between runs.

    By default the workers spin for a while after each run and hold the
    cores the next session needs. Reading an MRZ alternates the segmentation
    network and the recogniser: on 2 cores, 40 photos read in a median of
    0.35 s instead of 0.39 s when neither spins.
    """
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 4
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    if threads > 0:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    return options


def recogniser_session(
    path: Path, threads: int = 0, keep: Callable[[str], bool] | None = None
) -> tuple[InferenceSession, tuple[str, ...]]:
    """A PP-OCR recogniser on ONNX Runtime and its charset (CTC blank first), read from the model's metadata.

    With `keep`, only the classes whose character it accepts (the blank and
    the space always) stay in the model's last layer (`onnx_wire.restrict_classes`).
    """
    import onnxruntime as ort

    from kiosk.ocr.engine import onnx_wire

    model = path.read_bytes()
    characters = onnx_wire.metadata(model).get("character")
    if not characters:
        raise EngineError(f"{path.name} is not a PP-OCR recogniser (no character list in its metadata)")
    charset = ("<blank>", *characters.splitlines(), " ")
    if keep is not None:
        columns = [i for i, char in enumerate(charset) if i in (0, len(charset) - 1) or keep(char)]
        model = onnx_wire.restrict_classes(model, len(charset), np.array(columns))
        charset = tuple(charset[i] for i in columns)
    options = session_options(threads)
    options.enable_cpu_mem_arena = False
    session = ort.InferenceSession(model, sess_options=options, providers=["CPUExecutionProvider"])
    return session, charset


def _float32_preprocess(base: type) -> type:
    """rapidocr's detector preprocessing (`base`), normalising in float32 straight into the model's input.

    Its own normalisation computes in float64 (numpy promotes the image to
    the mean's type), then permutes and copies: 19 ms of a 960-row receipt
    strip's 130 and three image-sized temporaries; this writes each channel
    once into the (1, 3, H, W) input.
    """

    class Float32DetPreProcess(base):  # type: ignore[misc, valid-type]
        def __call__(self, img: np.ndarray) -> np.ndarray | None:
            resized = self.resize(img)
            if resized is None:
                return None
            height, width = resized.shape[:2]
            blob = np.empty((1, 3, height, width), np.float32)
            for channel in range(3):
                factor = np.float32(self.scale / self.std[channel])
                np.multiply(resized[:, :, channel], factor, out=blob[0, channel], casting="unsafe")
                blob[0, channel] -= np.float32(self.mean[channel] / self.std[channel])
            return blob

    return Float32DetPreProcess


class RecogniserBackend:
    """A recogniser alone (no detector or orientation model), for reading crops again with another model."""

    def __init__(self, path: Path, threads: int = 0, keep: Callable[[str], bool] | None = None) -> None:
        if not path.exists():
            raise EngineError(f"OCR model missing: {path}; reinstall rapidocr==3.10.0 (pip install --no-deps)")
        self.rec, self.charset = recogniser_session(path, threads, keep)
        self.rec_input = self.rec.get_inputs()[0].name

    def detect(self, image: np.ndarray, min_side: int = DET_MIN_SIDE, dilate: bool = True) -> np.ndarray:
        raise EngineError("this backend only recognises text lines")

    def upside_down(self, crops: Sequence[np.ndarray]) -> list[bool]:
        raise EngineError("this backend only recognises text lines")

    def run_recogniser(self, batch: np.ndarray) -> np.ndarray:
        return self.rec.run(None, {self.rec_input: batch})[0]


class OnnxBackend:
    """PP-OCRv4's detector, orientation classifier and recogniser.

    The recogniser is loaded when first used: the receipt reader pairs this
    detector with PP-OCRv6's recogniser (`PipelineEngine.with_recogniser`)
    and never needs PP-OCRv4's (peak RSS on the 135 receipts 660-777 MB with it
    loaded, 595-628 MB without).
    """

    def __init__(self, threads: int = 0) -> None:
        try:
            from rapidocr_onnxruntime.ch_ppocr_cls import TextClassifier
            from rapidocr_onnxruntime.ch_ppocr_det import TextDetector
            from rapidocr_onnxruntime.ch_ppocr_det.utils import DetPreProcess
        except ImportError as exc:
            raise EngineError(f"the onnx engine is not installed ({exc.name} missing): run scripts/setup.sh") from None
        paths = onnx_model_paths()
        for path in paths.values():
            if not path.exists():
                raise EngineError(f"OCR model missing: {path}; reinstall rapidocr_onnxruntime==1.4.4")
        common = {"use_cuda": False, "use_dml": False, "intra_op_num_threads": threads or -1, "inter_op_num_threads": -1}
        self.detector = TextDetector({**common, **DET_OPTIONS, "model_path": str(paths["det"])})
        self._prepare = _float32_preprocess(DetPreProcess)(DET_OPTIONS["limit_side_len"], DET_OPTIONS["limit_type"], DET_OPTIONS["mean"], DET_OPTIONS["std"])
        self.detector.get_preprocess = lambda longest_side: self._prepare  # limit_type "min": the same for every size
        self._dilation = self.detector.postprocess_op.dilation_kernel
        self.classifier = TextClassifier({**common, **CLS_OPTIONS, "model_path": str(paths["cls"])})
        self._rec_path, self._threads = paths["rec"], threads

    @cached_property
    def _recogniser(self) -> RecogniserBackend:
        return RecogniserBackend(self._rec_path, self._threads)

    @property
    def charset(self) -> tuple[str, ...]:
        return self._recogniser.charset

    def run_recogniser(self, batch: np.ndarray) -> np.ndarray:
        return self._recogniser.run_recogniser(batch)

    def detect(self, image: np.ndarray, min_side: int = DET_MIN_SIDE, dilate: bool = True) -> np.ndarray:
        self._prepare.limit_side_len = min_side
        self.detector.postprocess_op.dilation_kernel = self._dilation if dilate else None
        boxes, _ = self.detector(image)
        return np.zeros((0, 4, 2), np.float32) if boxes is None or len(boxes) == 0 else np.asarray(boxes, np.float32)

    def upside_down(self, crops: Sequence[np.ndarray]) -> list[bool]:
        if not crops:
            return []
        _, results, _ = self.classifier(list(crops))
        return [label == "180" and score > CLS_OPTIONS["cls_thresh"] for label, score in results]

