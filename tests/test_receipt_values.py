"""Amounts, dates and currencies as printed on receipts (shared with the remote OCR client)."""

from datetime import date

import pytest

from kiosk.ocr.receipt.values import find_dates, parse_amount, parse_currency, parse_date

TODAY = date(2024, 6, 1)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1,234.50", 1234.50),
        ("RM 12.50", 12.50),
        ("RM12.50", 12.50),
        ("12,50", 12.50),
        ("1.234,50", 1234.50),
        ("1 234,50", 1234.50),
        ("$3", 3.0),
        ("€ 9,99", 9.99),
        ("MYR 10.60", 10.60),
        ("K12.50", 12.50),
        ("PHP 1,000.00", 1000.0),
        ("12.50 RM", 12.50),
        ("1,234,567.00", 1234567.0),
        ("12.50-", -12.50),
        ("(4.00)", -4.0),
        (" 7.40 ", 7.40),
        (12, 12.0),
        (12.5, 12.5),
    ],
)
def test_amounts_are_read_whatever_the_notation(text, expected):
    assert parse_amount(text) == pytest.approx(expected)


@pytest.mark.parametrize("text", [None, "", "abc", "TOTAL 12", "12.5.3", "nan", float("nan"), float("inf"), True, "1,23,4", "--"])
def test_garbage_is_not_an_amount(text):
    assert parse_amount(text) is None


@pytest.mark.parametrize(
    "text, expected",
    [
        ("25/12/2018", "2018-12-25"),
        ("14-03-18", "2018-03-14"),
        ("22 MAR 2018", "2018-03-22"),
        ("2018.12.25", "2018-12-25"),
        ("14/MAY/2017", "2017-05-14"),
        ("2018-01-05 22:55:25", "2018-01-05"),
        ("Mar 22, 2018", "2018-03-22"),
        ("22MAR18", "2018-03-22"),
        ("9 Apr 2018 18:26", "2018-04-09"),
        ("14 OGOS 2018", "2018-08-14"),  # Malay month
        ("Date: 06/02/18 18:47", "2018-02-06"),
        ("20/04/201819:15", "2018-04-20"),  # date and time printed without a space
        ("ORD#50-REG#19-18/01/2018 10:27:03", "2018-01-18"),
        ("le30/03/2018 a 12:36", "2018-03-30"),
    ],
)
def test_dates_in_many_formats_become_iso(text, expected):
    assert parse_date(text, "DMY", TODAY) == expected


def test_ambiguous_day_and_month_follow_the_locale_unless_only_one_reading_is_a_date():
    assert parse_date("03/04/2018", "DMY", TODAY) == "2018-04-03"
    assert parse_date("03/04/2018", "MDY", TODAY) == "2018-03-04"
    assert parse_date("12/25/2018", "DMY", TODAY) == "2018-12-25"  # 25 is no month
    assert parse_date("25/12/2018", "MDY", TODAY) == "2018-12-25"
    assert parse_date("18-03-14", "YMD", TODAY) == "2018-03-14"


def test_ambiguous_dates_are_weaker_than_clear_ones():
    (clear,) = find_dates("25/12/2018", "DMY", TODAY)
    (guess,) = find_dates("03/04/2018", "DMY", TODAY)
    (named,) = find_dates("3 APR 2018", "DMY", TODAY)
    assert guess.strength < clear.strength <= named.strength == 1.0


def test_implausible_dates_are_refused():
    assert parse_date("2030-01-01", "DMY", TODAY) is None  # future
    assert parse_date("02/06/2024", "DMY", TODAY) == "2024-06-02"  # a day ahead: time zones
    assert parse_date("01/01/1999", "DMY", TODAY) is None  # before 2000
    assert parse_date("31/02/2018", "DMY", TODAY) is None
    assert parse_date("99 SPEED MART", "DMY", TODAY) is None
    assert parse_date("TOTAL 12.50 13.20", "DMY", TODAY) is None
    assert parse_date("TEL: 03-4162-2318", "DMY", TODAY) is None
    assert parse_date(None) is None
    with pytest.raises(ValueError):
        find_dates("25/12/2018", "XYZ")


@pytest.mark.parametrize(
    "text, default, expected",
    [
        ("TOTAL RM 3.90", "", "MYR"),
        ("Amount (MYR)", "", "MYR"),
        ("₱ 100.00", "", "PHP"),
        ("PHP 20", "", "PHP"),
        ("K 12.00", "", "PGK"),
        ("TOTAL PGK 45.00", "", "PGK"),
        ("€5", "", "EUR"),
        ("£ 4.20", "", "GBP"),
        ("US$ 4", "SGD", "USD"),
        ("$6.90", "", "USD"),
        ("$6.90", "SGD", "SGD"),  # a bare $ is the local dollar
        ("TOTAL 12.00", "MYR", "MYR"),  # nothing printed: the default
        ("TOTAL 12.00", "", None),
        ("FIRM ARM", "", None),  # letters inside words are not codes
        (None, "PGK", "PGK"),
    ],
)
def test_currencies_from_symbols_and_codes(text, default, expected):
    assert parse_currency(text, default) == expected
