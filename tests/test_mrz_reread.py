"""A second recogniser (PP-OCRv6) reads MRZ rows the first could not validate."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from kiosk.capture.synthetic import passport_page
from kiosk.ocr.mrz.parse import parse_mrz
from kiosk.ocr.mrz.read import MrzReader, best_parse, outranks, reread_rows, second_reading
from kiosk.ocr.engine.types import CharScore, TextLine

SPECIMEN = ("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10")


def row(text: str, scores: dict[int, CharScore] | None = None, sure: float = 0.9) -> TextLine:
    chars = tuple((scores or {}).get(i, CharScore(c, sure, position=(i + 0.5) / len(text))) for i, c in enumerate(text))
    return TextLine("".join(c.char for c in chars), sure, ((0, 0), (1, 0), (1, 1), (0, 1)), chars)


def misread(text: str, at: int, char: str) -> str:
    return text[:at] + char + text[at + 1 :]


def test_a_digit_the_first_recogniser_misread_is_settled_by_the_second_and_the_check_digit():
    # The document number's 9 read as 4 by the first recogniser, fairly sure; the second saw 9.
    first = [row(SPECIMEN[0]), row(misread(SPECIMEN[1], 4, "4"), {4: CharScore("4", 0.8)})]
    second = [row(SPECIMEN[0]), row(SPECIMEN[1], sure=0.95)]
    assert best_parse(first).status == "invalid"
    result = best_parse(reread_rows(first, second))
    assert result.status == "ok"
    assert result.value("document_number") == "L898902C3"


def test_the_check_digit_still_decides_when_the_second_recogniser_is_the_one_wrong():
    # The second read the number's 8 as B and was surer; the first's 8 stays in play as the runner-up.
    first = [row(SPECIMEN[0]), row(SPECIMEN[1])]
    second = [row(SPECIMEN[0]), row(misread(SPECIMEN[1], 1, "B"), sure=0.99)]
    result = best_parse(reread_rows(first, second))
    assert result.status == "ok" and result.value("document_number") == "L898902C3"


def test_a_name_letter_the_two_recognisers_disagree_on_is_left_to_the_operator():
    first = [row(SPECIMEN[0]), row(SPECIMEN[1])]
    second = [row(misread(SPECIMEN[0], 8, "R"), sure=0.95), row(SPECIMEN[1])]
    result = best_parse(reread_rows(first, second))
    assert result.status == "invalid" and result.all_check_digits_valid
    assert not result.field("surname").valid


def test_a_letter_the_first_was_torn_on_is_settled_when_the_second_saw_it_clearly():
    # ERIKSSON's K: the first recogniser's runner-up X at 0.4 of its K leaves the surname to the operator.
    torn = {8: CharScore("K", 0.5, "X", 0.2)}
    first = [row(SPECIMEN[0], torn), row(SPECIMEN[1])]
    assert best_parse(first).status == "invalid"
    agreed = second_reading(first[0], row(SPECIMEN[0], sure=0.98))
    assert agreed.chars[8].char == "K" and agreed.chars[8].confidence == pytest.approx(0.98)
    assert agreed.chars[8].position == first[0].chars[8].position
    assert best_parse([agreed, first[1]]).status == "ok"


def test_a_row_only_the_second_recogniser_read_at_full_width_is_taken_from_it():
    first = [row(SPECIMEN[0][:40]), row(SPECIMEN[1])]
    second = [row(SPECIMEN[0]), row(SPECIMEN[1][:40])]
    rows = reread_rows(first, second)
    assert [r.text for r in rows] == list(SPECIMEN)


def test_an_unsure_name_letter_only_the_second_recogniser_read_is_left_to_the_operator():
    # CHIMAMANDA read CHIMAMANOA: a blurred D is an O to both recognisers; the first could not read the row at all.
    lines = ["P<UTOOKONKWO<BAPTISTE<<CHIMAMANOA<<<<<<<<<<<", "L898902C36UTO7408122F3204153ZE184226B<<<<<16"]
    first = [row("WEKWTOOKOMKWO<AAPTISIEXKOHIMAMANOARCSSASSCXKIR"), row(lines[1])]
    second = [row(lines[0], {31: CharScore("O", 0.8, "D", 0.16)}, sure=0.99), row(lines[1])]
    assert best_parse([second[0], first[1]]).status == "ok"
    result = best_parse(reread_rows(first, second))
    assert result.status == "invalid" and result.all_check_digits_valid
    assert not result.field("given_names").valid


def test_a_doubtful_character_only_the_second_recogniser_read_is_not_proven_by_its_check_digit():
    # L898902C3 read L898902M3 at 0.32: M and C are 10 apart, so the check digit holds either way.
    number = misread(SPECIMEN[1], 7, "M")
    first = [row(SPECIMEN[0]), row(SPECIMEN[1][:38])]
    second = [row(SPECIMEN[0]), row(number, {7: CharScore("M", 0.32, "0", 0.3)}, sure=0.99)]
    assert best_parse(second).status == "ok"
    result = best_parse(reread_rows(first, second))
    assert result is None or not result.ok


def test_a_crew_member_certificate_keeps_its_c_even_when_a_filler_was_nearly_read():
    lines = ["ACUTOD231458907<<<<<<<<<<<<<<<", "7408122F1204159UTO<<<<<<<<<<<6", "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"]
    scores = [[CharScore(c, 0.9) for c in line] for line in lines]
    scores[0][1] = CharScore("C", 0.9, "<", 0.3)
    assert parse_mrz(lines).status == "ok"
    assert parse_mrz(lines, scores).value("document_type") == "AC"
    lines[0] = "IC" + lines[0][2:]
    scores[0][0] = CharScore("I", 0.9)
    assert parse_mrz(lines, scores).value("document_type") == "I"


def small_blurred_band(page: np.ndarray, row_pitch: float, sigma: float) -> np.ndarray:
    """The page's MRZ band shrunk until its rows are about `row_pitch` pixels apart, blurred, with sensor noise."""
    band = page[int(page.shape[0] * 0.8) :]
    scale = row_pitch / (band.shape[0] / 3.2)
    small = cv2.GaussianBlur(cv2.resize(band, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA), (0, 0), sigma)
    noise = np.random.default_rng(1).normal(0, 6, small.shape)
    return np.clip(small + noise, 0, 255).astype(np.uint8)


def test_a_small_blurred_band_the_first_recogniser_cannot_validate_is_read_by_the_second(engine, passport):
    reader = MrzReader(engine)
    reader.row_reader = None  # the general recognisers, as when the row model has not settled a read
    assert reader.rereader is not None, "PP-OCRv6's recogniser is missing: run scripts/setup.sh"
    band = small_blurred_band(passport_page(passport), row_pitch=14, sigma=1.0)
    result = reader.read_band(band, reread=True)
    assert result is not None and result.status == "ok"
    assert list(result.lines) == list(passport.mrz())
    if engine.name == "onnx":
        reader.rereader = None
        alone = reader.read_band(band, reread=True)
        assert alone is None or alone.status != "ok"


def test_a_reading_with_the_second_recogniser_wins_only_by_a_better_status():
    # The second recogniser is surer when wrong: its confidence does not outbid the first's invalid reading.
    ok = parse_mrz(list(SPECIMEN))
    invalid = parse_mrz([SPECIMEN[0], misread(SPECIMEN[1], 4, "4")])
    assert ok.ok and invalid.status == "invalid"
    assert outranks(ok, invalid) and outranks(invalid, None) and outranks(invalid, parse_mrz([]))
    assert not outranks(invalid, invalid) and not outranks(invalid, ok)
