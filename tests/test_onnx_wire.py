"""PP-OCRv6's recogniser cut to the scripts the kiosk reads, edited on the protobuf wire (kiosk/ocr/engine/onnx_wire.py)."""

import string

import numpy as np
import pytest

from kiosk.capture.synthetic import receipt_page
from kiosk.errors import EngineError
from kiosk.ocr.engine import create_engine, onnx_wire
from kiosk.ocr.engine.engines import create_v6_recogniser, outside_east_asian_scripts
from kiosk.ocr.engine.geometry import crop_quad
from kiosk.ocr.engine.models import pp_ocrv6_rec_model
from kiosk.ocr.engine.onnx_backend import RecogniserBackend
from kiosk.ocr.engine.pipeline import PipelineEngine


@pytest.fixture(scope="module")
def model_bytes() -> bytes:
    return pp_ocrv6_rec_model().read_bytes()


@pytest.fixture(scope="module")
def receipt_lines(receipt) -> list[np.ndarray]:
    page = receipt_page(receipt)
    boxes = create_engine("onnx").backend.detect(page)
    return [crop_quad(page, box) for box in boxes]


def test_the_model_reads_back_byte_for_byte(model_bytes):
    rebuilt = b"".join(onnx_wire.field(number, wire, value) for number, wire, value in onnx_wire.fields(model_bytes))
    assert rebuilt == model_bytes


def test_a_damaged_model_is_a_clear_error(model_bytes):
    with pytest.raises(EngineError, match="truncated"):
        list(onnx_wire.fields(model_bytes[:100_000]))
    with pytest.raises(EngineError, match="final layer"):
        onnx_wire.restrict_classes(model_bytes, 1234, np.arange(10))


def test_the_kept_classes_are_what_a_kiosk_reads():
    charset = create_v6_recogniser().backend.charset
    assert charset[0] == "<blank>" and charset[-1] == " "
    assert set(string.ascii_letters + string.digits + string.punctuation + "€£¥₹¢") <= set(charset)
    assert {"Ä", "é", "ß", "Ω"} <= set(charset)
    assert not {"中", "文", "あ", "カ", "한"} & set(charset)
    assert 2000 < len(charset) < 3000
    assert not outside_east_asian_scripts("中") and outside_east_asian_scripts("M")


def test_receipt_lines_read_as_with_every_class(receipt_lines):
    """Each line's scores over the kept classes are the whole model's, renormalised: same text, same confidence order."""
    full = PipelineEngine("full", RecogniserBackend(pp_ocrv6_rec_model()))
    cut = create_v6_recogniser()
    assert len(receipt_lines) >= 10
    kept = [full.backend.charset.index(c) for c in cut.backend.charset]
    full_scores = full.recognise_scores(receipt_lines)
    cut_scores = cut.recognise_scores(receipt_lines)
    for whole, part in zip(full_scores, cut_scores):
        assert part.probs.shape[1] * 5 < whole.probs.shape[1]
        expected = whole.probs[:, kept] / whole.probs[:, kept].sum(axis=1, keepdims=True)
        np.testing.assert_allclose(part.probs, expected, atol=2e-4)
    assert [line.text for line in cut.recognise(receipt_lines)] == [line.text for line in full.recognise(receipt_lines)]


def test_a_model_without_a_character_list_is_refused():
    from kiosk.ocr.engine.models import fastmrz_segmentation_model

    with pytest.raises(EngineError, match="not a PP-OCR recogniser"):
        RecogniserBackend(fastmrz_segmentation_model())
