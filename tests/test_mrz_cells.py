"""The MRZ cell classifier: trained at setup on OCR-B renders, it reads each character cell alone.

Reading uses it for one thing: a C, K, E, S or L from the recogniser whose
own cell is clearly `<` is read as `<` (small blurred fillers look like those
letters to a recogniser trained on ordinary text). Real letters must stay.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from kiosk.capture.synthetic import PassportData, passport_page
from kiosk.ocr.mrz.cells import (
    FILLER,
    FILLER_VOTE,
    MODEL_PATH,
    CLASSES,
    CellClassifier,
    aligned_probs,
    default_classifier,
    fill_dropped,
    row_centres,
    second_opinion,
)
from kiosk.ocr.mrz.cells_train import font_path, random_row, render_row, train
from kiosk.ocr.mrz.locate import MrzLocator
from kiosk.ocr.mrz.read import STRETCH, ink_rows
from kiosk.ocr.engine.types import MRZ_ALPHABET, CharScore, TextLine


@pytest.fixture(scope="module")
def classifier() -> CellClassifier:
    found = default_classifier()
    assert found is not None, f"{MODEL_PATH} is missing: scripts/setup.sh trains it"
    return found


def test_training_from_nothing_writes_a_model_that_reads_cells(tmp_path):
    stats = train(tmp_path / "cells.npz", rows=150, seed=5)
    model = CellClassifier.load(tmp_path / "cells.npz")
    assert model.w1.shape[0] == 16 * 24
    # 150 rows is a tenth of what setup renders, yet far above the 1-in-37 of guessing.
    assert stats["held_out_accuracy"] > 0.5


def test_fillers_are_told_from_letters_in_rows_it_never_saw(classifier):
    rng = np.random.default_rng(2024)  # setup trains on seed 9303
    fillers_found = fillers = letters_as_filler = letters = 0
    for _ in range(30):
        text = random_row(rng, int(rng.choice([30, 36, 44])))
        row, ends = render_row(rng, font_path(), text)
        probs = classifier.read(row, len(text), ends)
        assert probs is not None
        is_filler = np.array([c == "<" for c in text])
        sure = probs[:, FILLER] >= FILLER_VOTE
        fillers += int(is_filler.sum())
        fillers_found += int((sure & is_filler).sum())
        letters += int((~is_filler).sum())
        letters_as_filler += int((sure & ~is_filler).sum())
    assert fillers_found >= 0.9 * fillers
    assert letters_as_filler <= 0.005 * letters


def band_rows(page: np.ndarray) -> list[np.ndarray]:
    band = MrzLocator().locate(page)
    assert band is not None
    rows = ink_rows(band.crop)
    pad = max(2, int(0.15 * max(b - a for a, b in rows)))
    return [band.crop[max(0, a - pad) : b + pad] for a, b in rows]


def test_fillers_read_as_letters_are_put_back_and_real_letters_stay(engine, classifier):
    """ERIKSSON has a K, an E and two S: the letters the recogniser puts where small fillers are."""
    passport = PassportData()
    page = cv2.GaussianBlur(cv2.resize(passport_page(passport), None, fx=0.6, fy=0.6, interpolation=cv2.INTER_AREA), (0, 0), 0.8)
    crop = band_rows(page)[0]
    [line] = engine.recognise([cv2.resize(crop, None, fx=STRETCH, fy=1.0)], alphabet=MRZ_ALPHABET)
    truth = passport.mrz()[0]
    assert line.text == truth
    assert row_centres(line, crop.shape[1]) is not None
    spoiled = {i: "CKES"[n % 4] for n, i in enumerate(i for i, c in enumerate(truth) if c == "<") if n % 3 == 0}
    chars = tuple(
        CharScore(spoiled[i], 0.9, "<", 0.05, c.position) if i in spoiled else c for i, c in enumerate(line.chars)
    )
    misread = TextLine("".join(c.char for c in chars), line.confidence, line.box, chars)
    fixed = second_opinion(classifier, crop, misread)
    # The document code's filler is left to the parser, with `<` as its runner-up.
    assert 1 in spoiled and fixed.text[1] == spoiled[1] and fixed.chars[1].runner_up == "<"
    assert fixed.text[2:] == truth[2:]
    assert all(fixed.chars[i].runner_up == letter for i, letter in spoiled.items() if i > 1)


def in_perspective(crop: np.ndarray, squeeze: float) -> np.ndarray:
    """The row as photographed at an angle: its right end `squeeze` times as tall (and as far apart) as its left."""
    h, w = crop.shape[:2]
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = np.float32([[0, 0], [w, h * (1 - squeeze) / 2], [w, h * (1 + squeeze) / 2], [0, h]])
    return cv2.warpPerspective(crop, cv2.getPerspectiveTransform(src, dst), (w, h), borderMode=cv2.BORDER_REPLICATE)


def test_cells_follow_a_row_photographed_in_perspective(engine, classifier):
    """The pitch shrinks along a row seen at an angle: a straight grid would end up half a cell off."""
    passport = PassportData()
    page = cv2.resize(passport_page(passport), None, fx=0.8, fy=0.8, interpolation=cv2.INTER_AREA)
    for crop, truth in zip(band_rows(page), passport.mrz()):
        slanted = in_perspective(crop, 0.75)
        [line] = engine.recognise([cv2.resize(slanted, None, fx=STRETCH, fy=1.0)], alphabet=MRZ_ALPHABET)
        assert len(line.text) == len(truth)
        probs = aligned_probs(classifier, slanted, line)
        assert probs is not None
        seen = "".join(CLASSES[i] for i in probs.argmax(axis=1))
        assert sum(a == b for a, b in zip(seen, truth)) >= 0.95 * len(truth), seen


def test_characters_the_recogniser_dropped_are_read_from_their_cells(engine, classifier):
    """A row read two characters short keeps its width: the gap between the neighbours' positions says where."""
    passport = PassportData()
    page = cv2.resize(passport_page(passport), None, fx=0.8, fy=0.8, interpolation=cv2.INTER_AREA)
    crop = band_rows(page)[0]
    truth = passport.mrz()[0]
    [line] = engine.recognise([cv2.resize(crop, None, fx=STRETCH, fy=1.0)], alphabet=MRZ_ALPHABET)
    assert line.text == truth
    dropped = {truth.index("ANNA") + 1, truth.index("MARIA") + 2}  # the first N of ANNA, the R of MARIA
    chars = tuple(c for i, c in enumerate(line.chars) if i not in dropped)
    short = TextLine("".join(c.char for c in chars), line.confidence, line.box, chars)
    filled = fill_dropped(classifier, crop, short, len(truth))
    assert filled is not None and filled.text == truth
    assert not any(filled.chars[i].confirmed for i in dropped)
    # Dropped at the start, no gap shows where: the cell past the end would be blank paper, which reads as nothing.
    headless = TextLine(line.text[1:], line.confidence, line.box, line.chars[1:])
    filled = fill_dropped(classifier, crop, headless, len(truth))
    assert filled is not None and filled.text == truth
    # Fewer characters than a line can have lost, or no positions to find the gap by: left alone.
    assert fill_dropped(classifier, crop, TextLine(truth[:30], 0.9, line.box, line.chars[:30]), len(truth)) is None
    blind = tuple(CharScore(c.char, c.confidence) for c in chars)
    assert fill_dropped(classifier, crop, TextLine(short.text, 0.9, line.box, blind), len(truth)) is None


def test_a_line_without_positions_is_left_as_read(classifier):
    line = TextLine("P<UTOERIKSSON<<ANNA<MARIAC<<<<<<<<<<<<<<<<<", 0.9, ((0, 0), (1, 0), (1, 1), (0, 1)), tuple(
        CharScore(c, 0.9) for c in "P<UTOERIKSSON<<ANNA<MARIAC<<<<<<<<<<<<<<<<<"
    ))
    assert second_opinion(classifier, np.full((30, 600, 3), 230, np.uint8), line) is line


def one_hot(text: str, sure: float = 0.97) -> np.ndarray:
    probs = np.full((len(text), len(MRZ_ALPHABET)), (1 - sure) / (len(MRZ_ALPHABET) - 1))
    probs[np.arange(len(text)), [MRZ_ALPHABET.index(c) for c in text]] = sure
    return probs


def test_a_sure_cell_confirms_contests_or_leads_and_the_other_reading_stays_in_play():
    from kiosk.ocr.mrz.cells import weigh

    read = CharScore("8", 0.99, "B", 0.001)
    contested = weigh(read, one_hot("3")[0])
    assert contested.char == "8" and contested.runner_up == "3" and not contested.confirmed
    assert contested.runner_up_confidence / contested.confidence > 0.9
    confirmed = weigh(read, one_hot("8")[0])
    assert confirmed.confirmed and (confirmed.char, confirmed.runner_up) == ("8", "B")
    assert weigh(read, one_hot("3", sure=0.6)[0]) == read  # an unsure cell is neither
    # The recogniser cannot tell O from 0, and reads little it is unsure of better than the cells:
    # there the cell's reading leads, and the recogniser's is its runner-up, at least half as likely.
    for unsure in (CharScore("0", 0.99, "8", 0.001), CharScore("T", 0.6, "Y", 0.2)):
        led = weigh(unsure, one_hot("O" if unsure.char == "0" else "Y")[0])
        assert led.char != unsure.char and led.runner_up == unsure.char and not led.confirmed
        assert led.runner_up_confidence >= 0.5 * led.confidence
    # Fairly sure of a digit's look-alike letter is a contest: the recogniser tells I from 1 no better.
    assert weigh(CharScore("1", 0.99), one_hot("I", sure=0.8)[0]).runner_up == "I"
    assert weigh(CharScore("A", 0.99), one_hot("R", sure=0.8)[0]) == CharScore("A", 0.99)


def test_fillers_are_only_confirmed_where_the_cells_line_up_with_the_text():
    from kiosk.ocr.mrz.cells import filler_cells

    text = "P<UTOERIKSSON<<ANNA<MARIACC<<<<<<<<<<<<<<<<"
    assert filler_cells(text, one_hot(text.replace("CC", "<<"))) == {25, 26}
    # The cell before the first C sees I where the text has A: the cells are one off there
    # (the recogniser dropped and inserted a character), so that C is left as read.
    cells = text[:24] + "I<<" + text[27:]
    assert filler_cells(text, one_hot(cells)) == {26}
    # A row on which the cells mostly disagree with the text confirms nothing.
    assert filler_cells(text, one_hot("<" * 25 + "<<" + "K" * 17)) == set()


def test_fillers_all_read_as_one_letter_are_fillers_where_the_letters_line_up():
    from kiosk.ocr.mrz.cells import filler_runs

    text = "HOEUENGUYENAAJOHNAAAAAAAAAAAAAAAAAAA"
    cells = "IDEUENGUYEN<<JOHN<<<<<<<<<<<<<<<<<<<"
    assert filler_runs(text, one_hot(cells)) == {11, 12} | set(range(17, 36))
    # The cells one off to the right: their letters no longer match the text, so nothing is trusted.
    assert filler_runs(text, one_hot("<" + cells[:-1])) == set()
    # A run whose neighbour the cells read as another letter may be a misplaced grid there.
    assert filler_runs(text, one_hot(cells[:13] + "U" + cells[14:])) == set(range(17, 36))
    # Three cells fairly sure of `<` are fillers; two must be surer (no name has three `<`-like letters together).
    fair = one_hot(cells)
    fair[11:13] = one_hot("<<", sure=0.8)
    fair[17:20] = one_hot("<<<", sure=0.8)
    assert filler_runs(text, fair) == set(range(17, 36))
    # A lone `<` cell is left to the look-alike rule (`filler_cells`).
    assert filler_runs("IDEUENGUYENAJOHN" + "A" * 20, one_hot("IDEUENGUYEN<JOHN" + "A" * 20)) == set()


def test_a_missing_or_damaged_model_leaves_reading_without_the_second_opinion(tmp_path, monkeypatch, caplog):
    import kiosk.ocr.mrz.cells as cells

    for content in (None, b"not a model"):
        path = tmp_path / "mrz_cells.npz"
        if content is not None:
            path.write_bytes(content)
        monkeypatch.setattr(cells, "MODEL_PATH", path)
        cells.default_classifier.cache_clear()
        try:
            with caplog.at_level("WARNING"):
                assert cells.default_classifier() is None
            assert "scripts/setup.sh" in caplog.text
        finally:
            cells.default_classifier.cache_clear()
        caplog.clear()
