"""MRZ text reading: formats, check digits, fields, proven corrections (no images, no OCR)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from kiosk.ocr.mrz.icao import STATE_CODES, check_digit, td1_lines, td2_lines, td3_lines
from kiosk.ocr.mrz.parse import detect_format, parse_mrz, parse_mrz_text, parse_text_lines
from kiosk.ocr.engine.types import CharScore, TextLine

LABELS = Path(__file__).resolve().parents[2] / "shared" / "data" / "mrz" / "labels.json"
TODAY = date(2025, 6, 1)

TD3 = (
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
)
# ICAO 9303 part 11, appendix D.2: a 12-character document number in TD1 and TD2.
TD1_LONG = (
    "I<UTOD23145890<7349<<<<<<<<<<<",
    "3407127M9507122UTO<<<<<<<<<<<2",
    "STEVENSON<<PETER<JOHN<<<<<<<<<",
)
TD2_LONG = (
    "I<UTOSTEVENSON<<PETER<JOHN<<<<<<<<<<",
    "D23145890<UTO3407127M95071227349<<<8",
)


def _labels() -> dict[str, dict]:
    return json.loads(LABELS.read_text())


def _with_mrz() -> list[tuple[str, dict]]:
    if not LABELS.exists():
        return []
    return [(name, label) for name, label in _labels().items() if label["has_mrz"]]


def parse(lines, confidences=None):
    return parse_mrz(list(lines), confidences, today=TODAY)


def put(line: str, index: int, char: str) -> str:
    return line[:index] + char + line[index + 1 :]


def corrections_of(result) -> set[tuple[int, int, str, str]]:
    return {(c.line, c.position, c.from_char, c.to_char) for c in result.corrections}


# ------------------------------------------------------------------ real labels


@pytest.mark.skipif(not LABELS.exists(), reason="shared MRZ labels not present")
def test_labels_cover_every_format():
    formats = {label["format"] for _, label in _with_mrz()}
    assert formats == {"TD1", "TD2", "TD3", "MRVA", "MRVB"}


@pytest.mark.parametrize(("name", "label"), _with_mrz(), ids=[name for name, _ in _with_mrz()])
def test_labelled_mrz_parses_with_its_format_and_check_digits(name, label):
    result = parse(label["mrz_lines"])
    assert result.format == label["format"]
    assert result.all_check_digits_valid is label["all_check_digits_valid"]
    if label["all_check_digits_valid"]:
        assert result.status == "ok", result.reason
        assert result.corrections == ()
        assert result.lines == tuple(label["mrz_lines"])
        assert all(f.confidence == 1.0 for f in result.fields)
    else:
        assert result.status == "invalid"
        assert result.failed_checks


# ------------------------------------------------------------------ formats and fields


def test_icao_specimen_td3_fields_are_exact():
    result = parse(TD3)
    assert result.status == "ok"
    assert result.format == "TD3"
    values = {f.name: f.value for f in result.fields}
    assert values == {
        "document_type": "P",
        "issuing_country": "UTO",
        "surname": "ERIKSSON",
        "given_names": "ANNA MARIA",
        "document_number": "L898902C3",
        "nationality": "UTO",
        "birth_date": "1974-08-12",
        "sex": "F",
        "expiry_date": "2012-04-15",
        "personal_number": "ZE184226B",
    }
    assert [(c.name, c.ok) for c in result.checks] == [
        ("document_number", True),
        ("birth_date", True),
        ("expiry_date", True),
        ("personal_number", True),
        ("composite", True),
    ]
    assert result.field("document_number").raw == "L898902C36"


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (TD3, "TD3"),
        (TD1_LONG, "TD1"),
        (TD2_LONG, "TD2"),
        (("V" + TD3[0][1:], TD3[1]), "MRVA"),
        (("V" + TD2_LONG[0][1:], TD2_LONG[1]), "MRVB"),
        ((TD3[0][:43], TD3[1]), None),
        ((TD3[0],), None),
    ],
)
def test_format_is_detected_from_shape_and_visa_letter(lines, expected):
    assert detect_format(lines) == expected


def test_visa_formats_have_no_composite_check():
    result = parse(("V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<", "L8988901C4XXX4009078F9612109<<<<<<<<"))
    assert result.status == "ok"
    assert [c.name for c in result.checks] == ["document_number", "birth_date", "expiry_date"]
    assert result.value("nationality") == "XXX"


@pytest.mark.parametrize("lines", [TD1_LONG, TD2_LONG], ids=["TD1", "TD2"])
def test_long_document_number_continues_into_optional_data(lines):
    result = parse(lines)
    assert result.status == "ok", result.reason
    assert result.value("document_number") == "D23145890734"
    assert result.value("optional_data") == ""
    assert result.value("surname") == "STEVENSON"
    assert result.value("given_names") == "PETER JOHN"
    assert result.value("birth_date") == "1934-07-12"
    assert result.value("expiry_date") == "1995-07-12"


def test_long_document_number_round_trips_through_the_builders():
    lines = td1_lines(
        document_type="I", issuing_state="D", number="T220001293XY", birth_date="640812", sex="F",
        expiry_date="321031", nationality="D", surname="MUSTERMANN", given_names="ERIKA", optional_1="AB12",
    )
    result = parse(lines)
    assert result.status == "ok", result.reason
    assert result.value("document_number") == "T220001293XY"
    assert result.value("optional_data") == "AB12"
    assert result.value("issuing_country") == "D"
    assert result.value("expiry_date") == "2032-10-31"


def test_long_number_without_check_digit_fails_the_number_check():
    line1 = put(TD1_LONG[0], 14, "<")[:15] + "<" * 15
    result = parse((line1, TD1_LONG[1], TD1_LONG[2]))
    assert result.status == "invalid"
    assert not result.check("document_number").ok
    assert "no check digit" in result.field("document_number").reason


def test_empty_personal_number_with_filler_check_digit_is_valid():
    lines = td3_lines(
        document_type="P", issuing_state="GBR", surname="SMITH", given_names="JOHN", number="123456789",
        nationality="GBR", birth_date="850315", sex="<", expiry_date="301231",
    )
    assert lines[1][42] == "<"
    result = parse(lines)
    assert result.status == "ok", result.reason
    assert result.check("personal_number").ok
    assert result.value("personal_number") == ""
    assert result.value("sex") == "X"


def test_filler_check_digit_is_invalid_when_personal_number_is_present():
    line2 = put(TD3[1], 42, "<")
    line2 = put(line2, 43, check_digit(line2[0:10] + line2[13:20] + line2[21:43]))
    result = parse((TD3[0], line2))
    assert result.failed_checks == ("personal_number",)


def test_x_is_accepted_for_unspecified_sex_and_other_letters_are_not():
    assert parse((TD3[0], put(TD3[1], 20, "X"))).value("sex") == "X"
    result = parse((TD3[0], put(TD3[1], 20, "Q")))
    assert result.status == "invalid"
    assert result.field("sex").valid is False
    assert result.field("sex").value is None
    assert result.all_check_digits_valid  # sex is under no check digit


# ------------------------------------------------------------------ dates


@pytest.mark.parametrize(
    ("yymmdd", "birth", "expiry"),
    [
        ("740812", "1974-08-12", "2074-08-12"),
        ("250601", "2025-06-01", "2025-06-01"),  # today is not in the future
        ("250602", "1925-06-02", "2025-06-02"),
        ("050101", "2005-01-01", "2005-01-01"),
        ("961210", "1996-12-10", "1996-12-10"),  # 2096 is more than 50 years ahead
        ("750101", "1975-01-01", "2075-01-01"),
        ("000229", "2000-02-29", "2000-02-29"),
    ],
)
def test_century_inference(yymmdd, birth, expiry):
    lines = td3_lines(
        document_type="P", issuing_state="UTO", surname="A", given_names="B", number="X1",
        nationality="UTO", birth_date=yymmdd, sex="F", expiry_date=yymmdd,
    )
    result = parse(lines)
    assert result.value("birth_date") == birth
    assert result.value("expiry_date") == expiry


@pytest.mark.parametrize(
    ("yymmdd", "reason"),
    [
        ("741312", "month 13 does not exist"),
        ("740001", "month 00 does not exist"),
        ("740231", "day 31 does not exist in 1974-02"),
        ("010229", "day 29 does not exist in 2001-02"),
        ("7408<<", "incomplete"),
    ],
)
def test_malformed_birth_date_is_an_invalid_field_with_a_reason(yymmdd, reason):
    lines = td3_lines(
        document_type="P", issuing_state="UTO", surname="ERIKSSON", given_names="ANNA", number="L898902C3",
        nationality="UTO", birth_date=yymmdd, sex="F", expiry_date="320415",
    )
    result = parse(lines)
    assert result.all_check_digits_valid  # the check digits were computed over the bad date
    assert result.status == "invalid"
    birth = result.field("birth_date")
    assert birth.valid is False
    assert birth.value is None
    assert birth.reason.startswith("birth_date: ") and reason in birth.reason
    assert birth.confidence <= 0.3
    assert result.invalid_fields == ("birth_date",)


# ------------------------------------------------------------------ check digits


@pytest.mark.parametrize(
    ("index", "digit", "failed"),
    [
        (9, "7", ("document_number", "composite")),
        (19, "3", ("birth_date", "composite")),
        (27, "0", ("expiry_date", "composite")),
        (42, "5", ("personal_number", "composite")),
        (43, "4", ("composite",)),
    ],
)
def test_a_wrong_check_digit_names_the_failed_check(index, digit, failed):
    result = parse((TD3[0], put(TD3[1], index, digit)))
    assert result.status == "invalid"
    assert result.failed_checks == failed
    assert f"failed check digits: {', '.join(failed)}" in result.reason
    first = result.check(failed[0])
    assert (first.ok, first.found) == (False, digit)
    assert first.reason.startswith(f"{failed[0]} check digit: expected ")
    if failed[0] != "composite":
        field = result.field(failed[0])
        assert field.valid is False and field.confidence <= 0.3
    assert result.corrections == ()


def test_td1_composite_failure_marks_optional_data_unverified():
    result = parse((TD1_LONG[0], put(TD1_LONG[1], 29, "3"), TD1_LONG[2]))
    assert result.failed_checks == ("composite",)
    assert result.field("optional_data").valid is False
    assert result.field("optional_data_2").valid is False
    assert result.field("document_number").valid is True


# ------------------------------------------------------------------ corrections


def test_zero_for_o_in_nationality_is_corrected_and_recorded():
    result = parse((TD3[0], put(TD3[1], 12, "0")))
    assert result.status == "ok"
    assert result.value("nationality") == "UTO"
    assert result.field("nationality").raw == "UT0"
    assert corrections_of(result) == {(1, 12, "0", "O")}
    assert "nationality" in result.corrections[0].reason
    assert result.lines == TD3


def test_letter_o_for_zero_in_a_date_is_corrected():
    result = parse((TD3[0], put(TD3[1], 15, "O")))  # birth date 74O812
    assert result.status == "ok"
    assert result.value("birth_date") == "1974-08-12"
    assert corrections_of(result) == {(1, 15, "O", "0")}
    assert result.corrections[0].reason == "birth_date: digit required"


def test_letter_i_for_one_in_a_check_digit_is_corrected():
    result = parse((TD3[0], put(TD3[1], 42, "I")))  # personal number check digit
    assert result.status == "ok"
    assert corrections_of(result) == {(1, 42, "I", "1")}
    assert result.check("personal_number").ok


def test_several_confusions_at_once_are_all_fixed_by_position():
    line1 = TD3[0].replace("ERIKSSON", "ER1KSS0N").replace("P<UTO", "P<U7O")
    line2 = put(put(put(TD3[1], 12, "0"), 23, "O"), 43, "O")
    result = parse((line1, line2))
    assert result.value("surname") == "ERIKSSON"
    assert result.value("nationality") == "UTO"
    assert (0, 7, "1", "I") in corrections_of(result)
    assert (0, 11, "0", "O") in corrections_of(result)
    assert (1, 23, "O", "0") in corrections_of(result)
    assert (1, 43, "O", "0") in corrections_of(result)
    # 7 has no letter look-alike: the issuing state stays as read and is flagged
    assert result.value("issuing_country") == "U7O"
    assert result.invalid_fields == ("issuing_country",)
    assert result.all_check_digits_valid


def test_unique_document_number_fix_is_proven_by_its_check_digit():
    result = parse((TD3[0], put(TD3[1], 5, "O")))  # L8989O2C3
    assert result.status == "ok"
    assert result.value("document_number") == "L898902C3"
    assert result.field("document_number").raw == "L8989O2C36"
    (fix,) = result.corrections
    assert (fix.line, fix.position, fix.from_char, fix.to_char) == (1, 5, "O", "0")
    assert "check digit" in fix.reason
    assert result.field("document_number").confidence < 1.0


def test_document_number_with_two_valid_fixes_is_ambiguous_and_left_alone():
    result = parse((TD3[0], put(TD3[1], 1, "B")))  # LB98902C3: B->8 and 8->B (pos 3) both fit
    assert result.status == "invalid"
    assert result.value("document_number") == "LB98902C3"
    assert result.corrections == ()
    (ambiguity,) = result.ambiguities
    assert ambiguity.field == "document_number"
    candidates = {(c.position, c.from_char, c.to_char) for c in ambiguity.candidates}
    assert (1, "B", "8") in candidates
    assert (3, "8", "B") in candidates
    assert len(candidates) >= 2
    field = result.field("document_number")
    assert field.valid is False and "several corrections" in field.reason
    assert "document_number" in result.failed_checks


def test_alphanumeric_field_is_not_changed_without_proof():
    result = parse((TD3[0], put(TD3[1], 7, "X")))  # C read as X: not a known confusion
    assert result.value("document_number") == "L898902X3"
    assert result.corrections == () and result.ambiguities == ()
    assert "document_number" in result.failed_checks


def test_personal_number_fix_is_proven_by_its_check_digit():
    line1, line2 = td3_lines(
        document_type="P", issuing_state="UTO", surname="ERIKSSON", given_names="ANNA", number="L898902C3",
        nationality="UTO", birth_date="740812", sex="F", expiry_date="320415", personal_number="AB1234",
    )
    result = parse((line1, put(line2, 30, "I")))  # ABI234
    assert result.value("personal_number") == "AB1234"
    assert corrections_of(result) == {(1, 30, "I", "1")}
    assert result.status == "ok"


def test_personal_number_with_several_fits_is_ambiguous():
    result = parse((TD3[0], put(TD3[1], 30, "I")))  # ZEI84226B: I->1 and 2->Z both fit
    assert result.value("personal_number") == "ZEI84226B"
    assert result.ambiguities[0].field == "personal_number"
    assert result.failed_checks == ("personal_number", "composite")


def test_g_for_6_is_invisible_to_check_digits():
    """G (16) and 6 differ by 10, so no check digit can tell them apart: a known limit, left as read."""
    result = parse((TD3[0], put(TD3[1], 35, "G")))  # ZE18422GB
    assert result.all_check_digits_valid
    assert result.value("personal_number") == "ZE18422GB"
    assert result.corrections == ()


def test_filler_misread_as_k_after_the_name_is_restored():
    line1 = put(TD3[0], 30, "K")  # ...ANNA<MARIA<<<<<K<<<
    result = parse((line1, TD3[1]))
    assert result.value("given_names") == "ANNA MARIA"
    assert corrections_of(result) == {(0, 30, "K", "<")}
    assert result.status == "ok"


def test_single_letter_given_name_is_not_mistaken_for_filler():
    lines = td3_lines(
        document_type="P", issuing_state="UTO", surname="SMITH", given_names="JOHN K", number="X1",
        nationality="UTO", birth_date="800101", sex="M", expiry_date="300101",
    )
    result = parse(lines)
    assert result.value("given_names") == "JOHN K"
    assert result.corrections == ()


def test_filler_look_alike_in_td1_optional_data_is_proven_by_the_composite():
    lines = td1_lines(
        document_type="I", issuing_state="UTO", number="D23145890", birth_date="740812", sex="F",
        expiry_date="120415", nationality="UTO", surname="ERIKSSON", given_names="ANNA MARIA",
    )
    result = parse((put(lines[0], 22, "L"), lines[1], lines[2]))
    assert result.status == "ok"
    assert corrections_of(result) == {(0, 22, "L", "<")}
    assert "composite" in result.corrections[0].reason


def test_state_code_zero_that_fits_two_codes_is_ambiguous():
    result = parse((TD3[0], TD3[1][:10] + "GB0" + TD3[1][13:]))  # GBO and GBD are both ICAO codes
    assert result.value("nationality") == "GB0"
    assert result.ambiguities[0].field == "nationality"
    assert {c.to_char for c in result.ambiguities[0].candidates} == {"O", "D"}
    assert result.field("nationality").valid is False


def test_state_code_zero_picks_the_only_known_letter():
    result = parse(("P<0EU" + TD3[0][5:], TD3[1]))  # D, not O or Q: only DEU exists
    assert result.value("issuing_country") == "DEU"
    assert corrections_of(result) == {(0, 2, "0", "D")}


def test_unknown_state_code_is_flagged_not_fatal():
    result = parse((TD3[0], TD3[1][:10] + "ZZZ" + TD3[1][13:]))
    assert result.status == "invalid"
    assert result.all_check_digits_valid
    assert result.invalid_fields == ("nationality",)
    assert "state code" in result.field("nationality").reason


def test_correction_can_be_turned_off():
    result = parse_mrz([TD3[0], put(TD3[1], 12, "0")], today=TODAY, correct=False)
    assert result.corrections == ()
    assert result.value("nationality") == "UT0"
    assert result.status == "invalid"


def test_state_code_list_has_iso_and_icao_codes():
    assert len(STATE_CODES) == 249 + 23
    assert {"DEU", "GBR", "USA", "D", "GBD", "UNO", "XXA", "XXX", "EUE", "RKS", "XOM", "UTO"} <= STATE_CODES


# ------------------------------------------------------------------ confidence


def _scores(line: str, low: dict[int, float] | None = None) -> tuple[CharScore, ...]:
    low = low or {}
    return tuple(CharScore(c, low.get(i, 0.95)) for i, c in enumerate(line))


def test_field_confidence_is_the_weakest_character_of_the_field():
    confidences = [_scores(TD3[0]), _scores(TD3[1], {2: 0.61, 15: 0.7})]
    result = parse(TD3, confidences)
    assert result.field("document_number").confidence == pytest.approx(0.61)
    assert result.field("birth_date").confidence == pytest.approx(0.7)
    assert result.field("surname").confidence == pytest.approx(0.95)
    assert result.confidence == pytest.approx(0.61)


def test_corrections_and_failed_checks_lower_confidence():
    line2 = put(put(TD3[1], 15, "O"), 27, "7")  # a corrected birth date, a wrong expiry check digit
    result = parse((TD3[0], line2), [_scores(TD3[0]), _scores(line2)])
    assert result.field("birth_date").confidence == pytest.approx(0.95 * 0.9)
    assert result.field("expiry_date").confidence <= 0.3
    assert result.field("nationality").confidence == pytest.approx(0.95)


def test_without_confidences_fields_start_at_one():
    assert {f.confidence for f in parse(TD3).fields} == {1.0}


def test_text_lines_from_an_engine_carry_their_character_scores():
    box = ((0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0))
    lines = [
        TextLine(TD3[0], 0.9, box, _scores(TD3[0], {20: 0.5})),
        TextLine(TD3[1], 0.8, box, ()),  # no per-character scores: the line's own
    ]
    result = parse_text_lines(lines, today=TODAY)
    assert result.status == "ok"
    assert result.field("given_names").confidence == pytest.approx(0.5)
    assert result.field("document_number").confidence == pytest.approx(0.8)


def test_confidences_must_match_the_lines():
    with pytest.raises(ValueError):
        parse(TD3, [_scores(TD3[0]), _scores(TD3[1][:-1])])


# ------------------------------------------------------------------ not an MRZ


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Hello, this is a receipt\nTOTAL 12.50 EUR",
        "P<UTOERIKSSON<<ANNA<MARIA",
        "L898902C36UTO7408122F1204159ZE184226B<<<<<10\nL898902C36UTO7408122F1204159ZE184226B<<<<<1",
        "VISA 4111 1111 1111 1111\nVALID THRU 12/29",
    ],
)
def test_garbage_text_is_no_mrz(text):
    result = parse_mrz_text(text, today=TODAY)
    assert result.status == "no_mrz"
    assert result.format is None
    assert result.reason.startswith("no MRZ: ")
    assert result.fields == () and result.checks == ()
    assert result.confidence == 0.0
    assert not result.all_check_digits_valid


def test_mrz_inside_other_text_is_found():
    text = "PASSPORT\nUtopia\n\n  " + TD3[0].lower() + "  \n" + TD3[1] + "\nend"
    result = parse_mrz_text(text, today=TODAY)
    assert result.status == "ok"
    assert result.value("surname") == "ERIKSSON"


def test_result_serialises_to_json():
    result = parse((TD3[0], put(TD3[1], 12, "0")))
    data = json.loads(json.dumps(result.to_json()))
    assert data["status"] == "ok"
    assert data["format"] == "TD3"
    assert data["fields"]["nationality"] == {
        "value": "UTO", "raw": "UT0", "confidence": 0.9, "valid": True, "reason": "",
    }
    assert data["corrections"] == [
        {"line": 1, "position": 12, "from": "0", "to": "O", "reason": "nationality: letter required, gives a known code", "proof": "position"}
    ]
    assert [c["name"] for c in data["checks"]] == [
        "document_number", "birth_date", "expiry_date", "personal_number", "composite",
    ]


def test_result_is_frozen():
    result = parse(TD3)
    with pytest.raises(AttributeError):
        result.status = "invalid"  # type: ignore[misc]


def test_a_check_digit_swap_is_marked_and_never_confident():
    # L misread as X is not a known confusion; 0->Q elsewhere happens to make both the
    # number and the composite check digits hold (they weigh the number alike).
    lines = ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "X898902C36UTO7408122F1204159ZE184226B<<<<<10"]
    result = parse_mrz(lines)
    assert [c.proof for c in result.corrections] == ["check"]
    number = result.field("document_number")
    assert number.confidence <= 0.5 < 0.6  # below the default confidence threshold: operator confirms
    assert result.confidence <= 0.5


def test_a_name_without_its_double_filler_is_not_accepted():
    # TD2 with the `<<` of HERNANDEZ<GARCIA<<SEAN misread as `K<`: every check digit still holds.
    lines = ["IDUSAHERNANDEZ<GARCIAK<SEAN<PATRICKK", "DSSHI1AKK7BRA8209094M2702216<<<<<<<0"]
    result = parse_mrz(lines)
    assert result.all_check_digits_valid
    assert result.status == "invalid"
    assert result.invalid_fields == ("surname",)
    assert "<<" in result.field("surname").reason
    assert result.field("surname").confidence <= 0.3


def test_fillers_read_as_one_repeated_letter_become_fillers():
    # Blurred fillers after WEI read as CCCCC; every check digit holds, so the fix is kept.
    line1 = "V<GBROKONKWO<BAPTISTE<<WEI<CCCCC<<<<<<<<<<<<"
    line2 = "WHMK3P8KY1XXA5210183M3601176D1XY7097F<<<<<<<"
    result = parse_mrz([line1, line2])
    assert result.status == "ok"
    assert result.value("given_names") == "WEI"
    assert {(c.position, c.from_char, c.to_char) for c in result.corrections} == {(i, "C", "<") for i in range(27, 32)}


def test_a_real_name_of_filler_like_letters_is_kept():
    line1 = "V<GBRLEE<<ELLE<CECE<<<<<<<<<<<<<<<<<<<<<<<<<"
    line2 = "WHMK3P8KY1XXA5210183M3601176D1XY7097F<<<<<<<"
    result = parse_mrz([line1, line2])
    assert result.value("surname") == "LEE" and result.value("given_names") == "ELLE CECE"
    assert result.corrections == ()


def test_one_unlikely_swap_that_ties_with_two_o_for_zero_swaps_is_ambiguous():
    # L52OBOXK33 read with both O as 0: 0->Q at 3 alone fits the check digit, and so do the
    # two O/0 swaps the recogniser cannot tell apart. Nothing is applied.
    lines = ["P<GBRERIKSSON<<LUCAS<<<<<<<<<<<<<<<<<<<<<<<<", "L520B0XK33D<<8202268F2706144<<<<<<<<<<<<<<<4"]
    result = parse_mrz(lines)
    assert result.status == "invalid"
    assert result.value("document_number") == "L520B0XK3"
    (ambiguity,) = result.ambiguities
    candidates = {(c.position, c.to_char) for c in ambiguity.candidates}
    assert {(3, "Q"), (3, "O"), (5, "O")} <= candidates


def test_the_recognisers_second_choice_makes_a_swap_likely():
    # The same read, but the recogniser nearly chose O at both places: the pair of swaps wins.
    lines = ["P<GBRERIKSSON<<LUCAS<<<<<<<<<<<<<<<<<<<<<<<<", "L520B0XK33D<<8202268F2706144<<<<<<<<<<<<<<<4"]
    scores = [
        [CharScore(c, 0.9) for c in lines[0]],
        [CharScore(c, 0.6, "O", 0.35) if i in (3, 5) else CharScore(c, 0.9) for i, c in enumerate(lines[1])],
    ]
    result = parse_mrz(lines, scores)
    assert result.status == "ok"
    assert result.value("document_number") == "L52OBOXK3"
    assert all(c.proof == "check" for c in result.corrections)


def test_a_document_code_k_nearly_read_as_filler_is_a_filler():
    line2 = "RQZZ0KLJX4BRA1009158F2308113<<<<<<<<<<<<<<<6"
    line1 = "PKMYSPAPADOPOULOS<<NIKOS<<<<<<<<<<<<<<<<<<<<"
    doubtful = [CharScore(c, 0.88, "<", 0.04) if i == 1 else CharScore(c, 0.9) for i, c in enumerate(line1)]
    result = parse_mrz([line1, line2], [doubtful, [CharScore(c, 0.9) for c in line2]])
    assert result.lines[0].startswith("P<MYS") and result.value("document_type") == "P"
    sure = [CharScore(c, 0.9) for c in line1]
    result = parse_mrz([line1, line2], [sure, [CharScore(c, 0.9) for c in line2]])
    assert result.value("document_type") == "PK"


def test_a_filler_look_alike_three_times_in_a_name_is_not_accepted():
    # The `<<` after ERIKSSON read as CC, next to the C of CHIMAMANDA; every check digit holds.
    lines = ["V<NGAERIKSSONCCCHIMAMANDA<<<<<<<<<<<", "VJKFZ9B2I4PNG7209112<2612041<<<<<<<<"]
    result = parse_mrz(lines)
    assert result.all_check_digits_valid
    assert result.status == "invalid"
    assert "CCC" in result.field("surname").reason


def _number_with_two_o(read_as: str) -> list[str]:
    truth = td3_lines(
        document_type="P", issuing_state="GBR", surname="ERIKSSON", given_names="LUCAS", number="L52OOBXK3",
        nationality="GBR", birth_date="820226", sex="F", expiry_date="270614", personal_number="",
    )
    return [truth[0], truth[1].replace("L52OOBXK3", read_as)]


def test_two_o_read_as_zero_cancel_in_the_check_digit_and_a_contesting_reader_makes_it_ambiguous():
    # O is worth 24, 0 is 0; at weights 7 and 3 the difference is 240, nothing modulo 10.
    lines = _number_with_two_o("L5200BXK3")
    assert parse_mrz(lines).status == "ok"  # alone, nothing says the read is wrong
    contested = [
        [CharScore(c, 0.9) for c in lines[0]],
        [CharScore(c, 0.9, "O", 0.85) if i in (3, 4) else CharScore(c, 0.9) for i, c in enumerate(lines[1])],
    ]
    result = parse_mrz(lines, contested)
    assert result.status == "invalid"
    assert not result.field("document_number").valid
    (ambiguity,) = result.ambiguities
    assert {(c.position, c.to_char) for c in ambiguity.candidates} == {(3, "O"), (4, "O")}


def test_a_sure_and_a_fair_contest_that_cancel_are_ambiguous_too():
    lines = _number_with_two_o("L5200BXK3")

    def shares(second: float) -> list[list[CharScore]]:
        return [
            [CharScore(c, 0.9) for c in lines[0]],
            [
                CharScore(c, 0.9, "O", 0.9 * {3: 0.95, 4: second}[i]) if i in (3, 4) else CharScore(c, 0.9)
                for i, c in enumerate(lines[1])
            ],
        ]

    assert parse_mrz(lines, shares(0.4)).status == "invalid"
    assert parse_mrz(lines, shares(0.2)).status == "ok"  # a faint second choice is no contest


def test_a_swap_that_fits_the_check_digit_but_leaves_a_contested_character_is_not_applied():
    # L52OOBXK3 read L52O0BXK3, the recogniser's second choice O at 4: that swap fits the check
    # digit. But the cells saw H where K was read: had K been wrong too, another swap would fit.
    lines = _number_with_two_o("L52O0BXK3")

    def scores(contest: bool) -> list[list[CharScore]]:
        second = {4: CharScore("0", 0.6, "O", 0.3), 7: CharScore("K", 0.9, "H", 0.8 if contest else 0.01)}
        return [[CharScore(c, 0.9) for c in lines[0]], [second.get(i, CharScore(c, 0.9)) for i, c in enumerate(lines[1])]]

    plain = parse_mrz(lines, scores(contest=False))
    assert plain.status == "ok" and plain.value("document_number") == "L52OOBXK3"
    result = parse_mrz(lines, scores(contest=True))
    assert result.status == "invalid" and result.value("document_number") == "L52O0BXK3"
    (ambiguity,) = result.ambiguities
    assert {(c.position, c.to_char) for c in ambiguity.candidates} == {(4, "O"), (7, "H")}


def test_a_contested_letter_ten_apart_from_its_rival_leaves_the_check_digit_proving_nothing():
    # F is 15 and P is 25: at any weight they differ by a multiple of 10, so the check holds either way.
    truth = td3_lines(
        document_type="P", issuing_state="GBR", surname="ERIKSSON", given_names="LUCAS", number="L52FOBXK3",
        nationality="GBR", birth_date="820226", sex="F", expiry_date="270614", personal_number="",
    )
    lines = [truth[0], truth[1].replace("L52FOBXK3", "L52POBXK3")]
    assert parse_mrz(lines).status == "ok"  # alone, nothing says the read is wrong
    scores = [
        [CharScore(c, 0.9) for c in lines[0]],
        [CharScore(c, 0.9, "F", 0.6) if i == 3 else CharScore(c, 0.9) for i, c in enumerate(lines[1])],
    ]
    result = parse_mrz(lines, scores)
    assert result.status == "invalid" and not result.field("document_number").valid
    (ambiguity,) = result.ambiguities
    assert [(c.position, c.to_char) for c in ambiguity.candidates] == [(3, "F")]


def test_one_contested_character_does_not_unsettle_a_check_digit_that_holds():
    lines = _number_with_two_o("L52OOBXK3")
    scores = [
        [CharScore(c, 0.9) for c in lines[0]],
        [CharScore(c, 0.9, "0", 0.85) if i == 3 else CharScore(c, 0.9) for i, c in enumerate(lines[1])],
    ]
    result = parse_mrz(lines, scores)
    assert result.status == "ok" and result.value("document_number") == "L52OOBXK3"


def test_a_zero_both_readers_saw_is_not_swapped_for_o_when_two_contested_ones_fit():
    # HVOL5O020 read HV0L50020: O at 6 alone fits the check digit, and so do the two O the cells saw.
    truth = td3_lines(
        document_type="P", issuing_state="JPN", surname="SILVA", given_names="NIKOS", number="HVOL5O020",
        nationality="UTO", birth_date="920522", sex="F", expiry_date="231110", personal_number="",
    )
    lines = [truth[0], truth[1].replace("HVOL5O020", "HV0L50020")]

    def scores(confirm_6: bool) -> list[list[CharScore]]:
        second = []
        for i, c in enumerate(lines[1]):
            if i in (2, 5):
                second.append(CharScore(c, 0.99, "O", 0.98))
            else:
                second.append(CharScore(c, 0.99, confirmed=confirm_6 and i == 6))
        return [[CharScore(c, 0.99) for c in lines[0]], second]

    assert parse_mrz(lines, scores(confirm_6=False)).status == "invalid"  # a tie: reported, not guessed
    result = parse_mrz(lines, scores(confirm_6=True))
    assert result.status == "ok" and result.value("document_number") == "HVOL5O020"


def test_a_document_code_must_start_with_the_letter_its_format_allows():
    # TD1 and TD2 codes start with A, C or I; a Y is a misread I, and no check digit covers it.
    lines = list(td1_lines(
        document_type="ID", issuing_state="GBR", number="PYCNWOW3I", birth_date="630522", sex="M",
        expiry_date="221205", nationality="UNO", surname="LI", given_names="WEI",
    ))
    assert parse_mrz(lines).status == "ok"
    result = parse_mrz(["Y" + lines[0][1:], *lines[1:]])
    assert result.status == "invalid" and result.all_check_digits_valid
    assert not result.field("document_type").valid and "A or C or I" in result.field("document_type").reason


def _sure_but(lines: list[str], at: tuple[int, int], score: CharScore) -> list[list[CharScore]]:
    """Every character read at 0.9 with no runner-up, except `score` at `at` (line, index)."""
    return [[score if (n, i) == at else CharScore(c, 0.9) for i, c in enumerate(line)] for n, line in enumerate(lines)]


def test_a_name_letter_the_recogniser_was_torn_on_is_left_to_the_operator():
    # CHIMAMANDA read CHIMAMANOA, the recogniser's second choice D at 0.4 of its O.
    lines = ["V<UNOTAN<<CHIMAMANOA<<<<<<<<<<<<<<<<<<<<<<<<", "WHMK3P8KY1XXA5210183M3601176D1XY7097F<<<<<<<"]
    result = parse_mrz(lines, _sure_but(lines, (0, 18), CharScore("O", 0.5, "D", 0.2)))
    assert result.status == "invalid" and not result.field("given_names").valid
    assert parse_mrz(lines, [[CharScore(c, 0.9) for c in line] for line in lines]).status == "ok"


def test_a_name_letter_two_readers_disagree_on_is_left_to_the_operator():
    # OKONKWO's W read as M, while the cell classifier saw W: no check digit can settle it.
    lines = ["V<GBROKONKMO<BAPTISTE<<WEI<<<<<<<<<<<<<<<<<<", "WHMK3P8KY1XXA5210183M3601176D1XY7097F<<<<<<<"]
    result = parse_mrz(lines, _sure_but(lines, (0, 10), CharScore("M", 0.9, "W", 0.85)))
    assert result.status == "invalid" and result.all_check_digits_valid
    assert result.value("surname") == "OKONKMO BAPTISTE"
    assert not result.field("surname").valid and "W" in result.field("surname").reason
    assert result.field("given_names").valid
    assert parse_mrz(lines, [[CharScore(c, 0.9) for c in line] for line in lines]).status == "ok"


def test_a_crew_member_certificate_keeps_its_c_even_when_a_filler_was_nearly_read():
    lines = ["ACUTOD231458907<<<<<<<<<<<<<<<", "7408122F1204159UTO<<<<<<<<<<<6", "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"]
    scores = [[CharScore(c, 0.9) for c in line] for line in lines]
    scores[0][1] = CharScore("C", 0.9, "<", 0.3)
    assert parse_mrz(lines).status == "ok"
    assert parse_mrz(lines, scores).value("document_type") == "AC"
    lines[0] = "IC" + lines[0][2:]
    scores[0][0] = CharScore("I", 0.9)
    assert parse_mrz(lines, scores).value("document_type") == "I"


def test_a_doubtful_first_letter_no_document_code_begins_with_is_the_one_the_format_allows():
    # A small P of a 270 px web thumbnail read as Y (runner-up F): two lines of 44 are a passport's, P.
    lines = ["YCAZEABDULLAYEV<<DIL<<<<<<<<<<<<<<<<<<<<<<<<", "C193895647AZE9408148M28081525188L2V<<<<<<<42"]
    scores = [[CharScore(c, 0.99) for c in line] for line in lines]
    scores[0][0] = CharScore("Y", 0.26, "F", 0.18)
    result = parse_mrz(lines, scores, today=date(2026, 12, 7))
    assert result.status == "ok" and result.value("document_type") == "PC"
    assert [(c.position, c.from_char, c.to_char) for c in result.corrections] == [(0, "Y", "P")]
    # A Y the recogniser was sure of is left as read: the document type is then invalid.
    sure = [list(row) for row in scores]
    sure[0][0] = CharScore("Y", 0.99, confirmed=True)
    assert parse_mrz(lines, sure, today=date(2026, 12, 7)).status == "invalid"
    # No check digit covers the code: with a check failing elsewhere the Y stays.
    broken = [lines[0], lines[1][:9] + "1" + lines[1][10:]]
    assert parse_mrz(broken, scores, today=date(2026, 12, 7)).value("document_type") == "YC"
