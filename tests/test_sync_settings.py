"""The [sync], [odoo] and [greenpay] settings the sync adds, and their validation."""

import pytest

from kiosk.config import Settings, load_settings, save_settings
from kiosk.errors import ConfigError


def test_a_partial_field_mapping_keeps_the_other_defaults(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text('[odoo.expense_fields]\namount = "unit_amount"\npayment_mode = ""\n')
    settings = load_settings(path)
    fields = settings.odoo.expense_fields
    assert fields["amount"] == "unit_amount" and fields["payment_mode"] == "" and fields["name"] == "name"
    assert fields["main_attachment"] == "message_main_attachment_id"


def test_sync_settings_round_trip(tmp_path):
    settings = Settings()
    settings.sync.backoff_seconds = 2.0
    settings.greenpay.body_fields = {"passportNumber": "document_number"}
    settings.odoo.partner_fields = {**settings.odoo.partner_fields, "country": ""}
    path = save_settings(settings, tmp_path / "s.toml")
    assert load_settings(path) == settings


@pytest.mark.parametrize(
    "text, message",
    [
        ('[sync]\nbackoff_seconds = 60.0\nbackoff_max_seconds = 10.0\n', "at most backoff_max_seconds"),
        ('[sync]\nmax_attempts = -1\n', "max_attempts must be 0"),
        ('[odoo]\npayment_mode = "cash"\n', "own_account or company_account"),
        ('[odoo]\npartner_match = "name"\n', "partner_match must be ref or record"),
        ('[odoo.expense_fields]\namout = "x"\n', "[odoo.expense_fields] unknown key 'amout'"),
        ('[odoo.expense_fields]\ndescription = ""\n', "[odoo.expense_fields] description must name an Odoo field"),
        ('[odoo.partner_fields]\nref = ""\n', "[odoo.partner_fields] ref must name an Odoo field"),
        ('[greenpay]\nreceipts_path = "api/receipts"\n', "receipts_path must start with /"),
        ('[greenpay.body_fields]\nnumber = ""\n', "values must name a record field"),
        ('[greenpay]\ntimeout = 0.0\n', "[greenpay] timeout must be positive"),
    ],
)
def test_bad_sync_settings_are_named(tmp_path, text, message):
    path = tmp_path / "settings.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as raised:
        load_settings(path)
    assert message in str(raised.value)
