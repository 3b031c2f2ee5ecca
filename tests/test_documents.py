"""Document validity beyond check digits: expired, expiring soon, under age, impossible dates; the kind of
document an MRZ code names; country names; the `[passport]` settings; warnings in the record's one JSON form."""

from __future__ import annotations

from datetime import date

import pytest

from kiosk.config import PassportSettings, Settings, settings_from_dict
from kiosk.countries import country_name
from kiosk.documents import (
    BORN_IN_FUTURE,
    EXPIRED,
    EXPIRES_SOON,
    EXPIRY_BEFORE_BIRTH,
    ID_CARD,
    OTHER_DOCUMENT,
    PASSPORT,
    RESIDENCE_PERMIT,
    UNDER_AGE,
    VISA,
    blocks_confirm,
    check_validity,
    document_kind,
    validity_warnings,
)
from kiosk.errors import ConfigError
from kiosk.ocr.mrz.icao import STATE_CODES
from kiosk.records import Field, PassportRecord, ReceiptRecord, record_from_json

TODAY = date(2025, 6, 15)
ADULT = date(1974, 8, 12)
RULES = PassportSettings()  # 30 days, 18 years, expired not allowed


def warnings(birth=ADULT, expiry=date(2030, 1, 1), rules=RULES, today=TODAY):
    return validity_warnings(birth, expiry, rules, today)


def test_a_document_is_valid_through_its_expiry_date_and_expired_the_day_after():
    assert warnings(expiry=date(2012, 4, 15)) == (EXPIRED,)  # fastmrz__td3.jpg: reads "All check digits hold"
    assert warnings(expiry=TODAY) == (EXPIRES_SOON,)
    assert warnings(expiry=date(2025, 6, 14)) == (EXPIRED,)
    assert warnings(expiry=date(2030, 1, 1)) == ()


def test_expiring_soon_follows_the_sites_number_of_days():
    assert warnings(expiry=date(2025, 7, 15)) == (EXPIRES_SOON,)  # 30 days: the default
    assert warnings(expiry=date(2025, 7, 16)) == ()
    six_months = PassportSettings(expiry_warning_days=183)
    assert warnings(expiry=date(2025, 12, 1), rules=six_months) == (EXPIRES_SOON,)
    assert warnings(expiry=date(2025, 6, 16), rules=PassportSettings(expiry_warning_days=0)) == ()


def test_under_age_until_the_birthday_the_holder_turns_the_minimum_age():
    assert warnings(birth=date(2007, 6, 16)) == (UNDER_AGE,)  # 18 tomorrow
    assert warnings(birth=date(2007, 6, 15)) == ()  # 18 today
    assert warnings(birth=date(2010, 1, 1), rules=PassportSettings(minimum_age=0)) == ()
    assert warnings(birth=date(2000, 1, 1), rules=PassportSettings(minimum_age=30)) == (UNDER_AGE,)


def test_impossible_dates_are_named():
    assert warnings(birth=date(2026, 1, 1), expiry=date(2036, 1, 1)) == (BORN_IN_FUTURE,)  # not also under age
    assert warnings(birth=date(1990, 5, 5), expiry=date(1985, 5, 5)) == (EXPIRED, EXPIRY_BEFORE_BIRTH)
    assert warnings(birth=None, expiry=None) == ()  # nothing to tell from missing dates


def test_expired_blocks_confirm_unless_the_site_allows_it():
    assert blocks_confirm((EXPIRED,), PassportSettings())
    assert not blocks_confirm((EXPIRED,), PassportSettings(allow_expired=True))
    assert not blocks_confirm((EXPIRES_SOON, UNDER_AGE), PassportSettings())


def passport(birth: str | None, expiry: str | None, **extra) -> PassportRecord:
    fields = {"document_type": Field("P", 0.9), "surname": Field("ERIKSSON", 0.9)}
    if birth:
        fields["birth_date"] = Field(birth, 0.9)
    if expiry:
        fields["expiry_date"] = Field(expiry, 0.9)
    return PassportRecord(fields=fields, format="TD3", **extra)


def test_an_edited_date_replaces_the_codes_and_other_warnings_stay():
    record = passport("1974-08-12", "2012-04-15", warnings=("other_warning",))
    check_validity(record, RULES, TODAY)
    assert record.warnings == (EXPIRED, "other_warning")
    record.edit("expiry_date", "2025-07-01")
    check_validity(record, RULES, TODAY)
    assert record.warnings == (EXPIRES_SOON, "other_warning")
    record.edit("birth_date", "not a date")
    record.edit("expiry_date", "2031-01-01")
    assert check_validity(record, RULES, TODAY).warnings == ("other_warning",)


def test_warnings_travel_in_the_one_json_form_and_old_records_still_load():
    record = check_validity(passport("2010-01-01", "2012-04-15"), RULES, TODAY)
    data = record.to_json()
    assert data["warnings"] == [EXPIRED, UNDER_AGE]
    back = record_from_json(data)
    assert isinstance(back, PassportRecord) and back.warnings == (EXPIRED, UNDER_AGE)

    del data["warnings"]  # a record queued by an earlier release
    assert record_from_json(data).warnings == ()

    receipt = ReceiptRecord(fields={"total": Field(12.5, 0.9)}, warnings=("the amounts do not add up",))
    assert record_from_json(receipt.to_json()).warnings == ("the amounts do not add up",)


@pytest.mark.parametrize(
    ("code", "fmt", "kind"),
    [
        ("P", "TD3", PASSPORT),
        ("PC", "TD3", PASSPORT),  # docsaid__test_mrz.jpg
        ("I", "TD1", ID_CARD),  # fastmrz__td1.jpg
        ("ID", "TD1", ID_CARD),
        ("A", "TD2", ID_CARD),
        ("C", "TD1", ID_CARD),
        ("IR", "TD1", RESIDENCE_PERMIT),
        ("AR", "TD1", RESIDENCE_PERMIT),
        ("V", "MRVA", VISA),  # fastmrz__mrva.jpg
        ("VB", "MRVB", VISA),
        ("X", "TD1", OTHER_DOCUMENT),
    ],
)
def test_the_document_code_names_the_kind(code, fmt, kind):
    assert document_kind(code, fmt) == kind


def test_every_country_code_the_mrz_reader_accepts_has_a_name():
    assert {code for code in STATE_CODES if not country_name(code)} == set()
    assert country_name("D<<") == "Germany"
    assert country_name("GBR") == "United Kingdom"
    assert country_name("GBD") == "United Kingdom (overseas territories citizen)"
    assert country_name("XXA") == "Stateless"
    assert country_name("UNO") == "United Nations"
    assert country_name("QQQ") is None and country_name("") is None


def test_passport_section_in_the_settings_file():
    assert Settings().passport == PassportSettings(expiry_warning_days=30, minimum_age=18, allow_expired=False)
    loaded = settings_from_dict({"schema": 2, "passport": {"expiry_warning_days": 183, "minimum_age": 0, "allow_expired": True}})
    assert loaded.passport == PassportSettings(expiry_warning_days=183, minimum_age=0, allow_expired=True)
    with pytest.raises(ConfigError, match=r"\[passport\] minimum_age"):
        settings_from_dict({"schema": 2, "passport": {"minimum_age": -1}})
    with pytest.raises(ConfigError, match=r"\[passport\] allow_expired must be bool"):
        settings_from_dict({"schema": 2, "passport": {"allow_expired": "yes"}})
