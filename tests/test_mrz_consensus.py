"""Several mediocre reads of one document agree on one certain read."""

from datetime import date

import cv2
import numpy as np

from kiosk.capture.synthetic import PassportData, passport_page
from kiosk.ocr.mrz.parse import parse_mrz, parse_mrz_text
from kiosk.ocr.mrz.consensus import MrzConsensus
from kiosk.ocr.mrz.read import MrzReader
from kiosk.ocr.engine.types import CharScore

TODAY = date(2026, 11, 22)
SPECIMEN = ("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10")


def frame(lines, wrong: dict[tuple[int, int], str], confidence=0.6, wrong_confidence=0.4):
    """One read of SPECIMEN with some characters misread."""
    out, scores = [], []
    for row, line in enumerate(lines):
        chars = list(line)
        row_scores = [confidence] * len(line)
        for (r, c), char in wrong.items():
            if r == row:
                chars[c] = char
                row_scores[c] = wrong_confidence
        out.append("".join(chars))
        scores.append([CharScore(ch, s) for ch, s in zip(chars, row_scores)])
    return parse_mrz(out, scores, today=TODAY)


def test_three_mediocre_frames_give_one_certain_read():
    # Each frame has a different digit misread where no correction can prove the right one.
    frames = [
        frame(SPECIMEN, {(1, 3): "7"}),  # document number
        frame(SPECIMEN, {(1, 15): "5"}),  # birth date
        frame(SPECIMEN, {(1, 22): "9"}),  # expiry
    ]
    assert all(f.status == "invalid" for f in frames)
    consensus = MrzConsensus(today=TODAY)
    for f in frames:
        result = consensus.add(f)
    assert consensus.frames == 3
    assert consensus.certain and result.status == "ok"
    assert result.lines == SPECIMEN
    assert result.value("document_number") == "L898902C3"
    assert result.confidence > max(f.confidence for f in frames)
    assert result.confidence > 0.8


def test_a_single_frame_is_its_own_consensus():
    consensus = MrzConsensus(today=TODAY)
    alone = frame(SPECIMEN, {})
    assert consensus.add(alone).lines == alone.lines
    assert consensus.result.status == "ok"


def test_disagreement_lowers_confidence_and_never_invents_validity():
    # Two frames misread the same digit differently: nothing proves either.
    consensus = MrzConsensus(today=TODAY)
    consensus.add(frame(SPECIMEN, {(1, 3): "7"}, wrong_confidence=0.6))
    result = consensus.add(frame(SPECIMEN, {(1, 3): "5"}, wrong_confidence=0.6))
    assert result.status == "invalid"
    assert "document_number" in result.failed_checks
    assert result.field("document_number").confidence <= 0.3


def test_a_validated_frame_is_not_outvoted_by_a_repeated_misreading():
    consensus = MrzConsensus(today=TODAY)
    consensus.add(frame(SPECIMEN, {}))
    consensus.add(frame(SPECIMEN, {(1, 3): "7"}, wrong_confidence=0.6))
    result = consensus.add(frame(SPECIMEN, {(1, 3): "7"}, wrong_confidence=0.6))
    assert result.ok and result.value("document_number") == "L898902C3"


def test_no_mrz_reads_do_not_vote_and_other_shapes_lose():
    consensus = MrzConsensus(today=TODAY)
    assert consensus.add(parse_mrz_text("hello")).status == "no_mrz"
    assert consensus.frames == 0
    td1 = parse_mrz_text("I<UTOD231458907<<<<<<<<<<<<<<<\n7408122F1204159UTO<<<<<<<<<<<6\nERIKSSON<<ANNA<MARIA<<<<<<<<<<", today=TODAY)
    for _ in range(2):
        consensus.add(frame(SPECIMEN, {}))
    assert consensus.add(td1).format == "TD3"


def degrade(image: np.ndarray, seed: int) -> np.ndarray:
    """A poor camera frame: blur, noise and low contrast."""
    rng = np.random.default_rng(seed)
    out = cv2.GaussianBlur(image, (0, 0), 2.1)
    out = out.astype(np.float32) * 0.55 + 70 + rng.normal(0, 24, out.shape)
    return np.clip(out, 0, 255).astype(np.uint8)


def small_poor_frame(image: np.ndarray, seed: int) -> np.ndarray:
    """The page at 0.4 of its size (MRZ capitals about 8 px), blurred, dim and noisy: the row model misreads
    a few characters of each such frame, different ones each time."""
    rng = np.random.default_rng(seed)
    out = cv2.GaussianBlur(cv2.resize(image, None, fx=0.4, fy=0.4, interpolation=cv2.INTER_AREA), (0, 0), 1.0)
    out = out.astype(np.float32) * 0.55 + 70 + rng.normal(0, 30, out.shape)
    return np.clip(out, 0, 255).astype(np.uint8)


def test_consensus_over_real_reads_of_poor_frames():
    data = PassportData(surname="OKONKWO-BAPTISTE", given_names="CHIMAMANDA")
    page = passport_page(data)
    reader = MrzReader()
    consensus = MrzConsensus()
    singles = []
    for seed in range(5):
        single = reader.read(small_poor_frame(page, seed)).result
        singles.append(single)
        consensus.add(single)
    result = consensus.result
    threshold = 0.6  # the default confidence threshold
    assert not any(s.ok and s.confidence >= threshold for s in singles), "each frame alone is invalid or unsure"
    assert result.ok, result.reason
    assert result.lines == data.mrz()
    assert result.confidence >= threshold
    assert result.value("surname") == "OKONKWO BAPTISTE"
    assert result.value("document_number") == data.number
    assert result.confidence >= max(s.confidence for s in singles if s.status != "no_mrz")


def test_what_the_reader_doubted_in_each_frame_still_counts_in_the_consensus():
    # L52OOBXK3 read with both O as 0: the check digit still holds (weights 7 and 3 cancel).
    from kiosk.ocr.mrz.icao import td3_lines

    truth = td3_lines(
        document_type="P", issuing_state="GBR", surname="ERIKSSON", given_names="LUCAS", number="L52OOBXK3",
        nationality="GBR", birth_date="820226", sex="F", expiry_date="270614", personal_number="",
    )
    lines = [truth[0], truth[1].replace("L52OOBXK3", "L5200BXK3")]

    def read(contested: bool):
        second = [
            CharScore(c, 0.9, "O", 0.85) if contested and i in (3, 4) else CharScore(c, 0.9)
            for i, c in enumerate(lines[1])
        ]
        return parse_mrz(lines, [[CharScore(c, 0.9) for c in lines[0]], second], today=TODAY)

    consensus = MrzConsensus(today=TODAY)
    for _ in range(3):
        consensus.add(read(contested=True))
    assert consensus.result.status == "invalid"  # contested in every frame: still ambiguous
    assert "document_number" in {a.field for a in consensus.result.ambiguities}

    one_torn = MrzConsensus(today=TODAY)
    for contested in (True, False, False, False):
        one_torn.add(read(contested))
    assert one_torn.result.status == "ok"  # one frame's doubt among four fades
