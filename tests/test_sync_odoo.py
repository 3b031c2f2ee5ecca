"""Delivery to the loopback Odoo 18 (JSON-RPC) and Odoo 19 (JSON-2): expenses with their receipt, contacts from
passports, and every failure named. Each test taking the `odoo` fixture runs against both."""

import http.server
import json
import threading

import pytest
from odoo19_server import Odoo19Server, Odoo19State
from odoo_server import API_KEY, JPEG, Faults, OdooServer, OdooState, StaticServer, sample_passport, sample_receipt

from kiosk.config import Settings
from kiosk.secrets import set_secret
from kiosk.sync.outbox import FAILED, PENDING, SENDING, SENT, open_outbox, queue_record
from kiosk.sync.targets.base import marker
from kiosk.sync.worker import make_worker


SERVERS = {"odoo18": (OdooServer, OdooState), "odoo19": (Odoo19Server, Odoo19State)}


@pytest.fixture(params=list(SERVERS))
def odoo(request):
    server_class, state_class = SERVERS[request.param]
    with server_class(state_class(auth_delay=0.05)) as server:
        yield server


def twin(server, state=None, faults=None):
    """Another server of the same Odoo version as `server`."""
    return type(server)(state or type(server.state)(), faults)


def logins(server):
    """How often the kiosk logged in: JSON-RPC's authenticate, or JSON-2's who-am-I."""
    return server.state.calls["common.authenticate"] + server.state.calls["res.users.context_get"]


def odoo_settings(url, server=None):
    """Settings for the loopback Odoo at `url` (an Odoo 18 unless `server` says otherwise)."""
    server = server or OdooServer
    s = Settings()
    s.kiosk.id = "K-01"
    s.sync.target = "odoo"
    s.sync.backoff_seconds = 0.01
    s.sync.backoff_max_seconds = 0.05
    s.odoo.url = url
    s.odoo.database = server.DATABASE
    s.odoo.login = "admin"
    s.odoo.product_id = (getattr(server, "state", None) or OdooState).IDS["meals"]
    s.odoo.timeout = 5.0
    s.odoo.doubt_seconds = 0.3
    set_secret("odoo_secret", server.SECRET)
    return s


def deliver(settings, max_seconds=5.0):
    worker = make_worker(settings)
    try:
        return worker.run_pass(max_seconds), worker.outbox.status()
    finally:
        worker.outbox.close()


def test_a_receipt_becomes_an_expense_with_its_image_as_main_attachment(odoo):
    settings = odoo_settings(odoo.url, odoo)
    record = sample_receipt(0)
    record_id = queue_record(settings, record, JPEG)
    summary, status = deliver(settings)
    assert (summary.sent, summary.failed, summary.pending, summary.error) == (1, 0, 0, None)
    assert summary.target == f"Odoo {odoo.VERSION} at {odoo.url}, database {odoo.DATABASE}, uid 2{odoo.API_NOTE}"
    ids = odoo.state.IDS
    expense = odoo.state.models["hr.expense"].rows[ids["expense"]]
    assert expense["name"] == "YONGFATT ENTERPRISE 0"
    assert expense["total_amount_currency"] == 80.9 and expense["total_amount"] == 80.9
    assert expense["date"] == "2018-12-25"
    assert expense["employee_id"] == 1, "the employee of the Odoo user, found at connect"
    assert expense["product_id"] == ids["meals"] and expense["payment_mode"] == "own_account"
    assert expense["description"] == f"Captured at kiosk K-01; OCR confidence 0.93\n{marker(record_id)}"
    attachment = odoo.state.models["ir.attachment"].rows[ids["attachment"]]
    assert (attachment["res_model"], attachment["res_id"], attachment["mimetype"]) == ("hr.expense", ids["expense"], "image/jpeg")
    assert attachment["name"] == f"receipt-{record_id}.jpg" and attachment["file_size"] == len(JPEG)
    assert expense["message_main_attachment_id"] == ids["attachment"]
    with open_outbox(settings) as outbox:
        item = outbox.get(record_id)
        assert item.state == SENT and item.remote_ref == f"hr.expense,{ids['expense']}" and not item.has_image
        assert item.progress == {"expense_id": ids["expense"], "attachment_id": ids["attachment"]}


def test_a_passport_becomes_a_contact_with_the_country_from_the_mrz(odoo):
    settings = odoo_settings(odoo.url, odoo)
    record = sample_passport(3, nationality="D")
    record_id = queue_record(settings, record)
    summary, _ = deliver(settings)
    assert summary.sent == 1
    partner = odoo.state.models["res.partner"].rows[odoo.state.IDS["partner"]]
    assert partner["name"] == "HARUTO TANAKA"
    assert partner["ref"] == "PASSPORT:C0000003X"
    assert partner["country_id"] == 57, "D (Germany in the MRZ) -> DE -> Odoo's res.country 57"
    assert partner["is_company"] is False and partner["type"] == "contact"
    assert "Passport C0000003X, D, born 1964-08-12, expires 2027-10-31" in partner["comment"]
    assert marker(record_id) in partner["comment"]


def test_a_passport_already_in_odoo_is_not_created_again(odoo):
    """ref = PASSPORT:<number> is how the recordings find an existing holder (partner 60 holds C01X00T47)."""
    settings = odoo_settings(odoo.url, odoo)
    queue_record(settings, sample_passport(0, document_number="C01X00T47"))
    summary, status = deliver(settings)
    assert summary.sent == 1 and odoo.state.count("res.partner") == 1
    with open_outbox(settings) as outbox:
        assert outbox.items(SENT)[0].remote_ref == "res.partner,60"
    settings.odoo.partner_match = "record"  # one contact per scan instead
    queue_record(settings, sample_passport(1, document_number="C01X00T47"))
    deliver(settings)
    assert odoo.state.count("res.partner") == 2


def test_one_login_for_many_records(odoo):
    settings = odoo_settings(odoo.url, odoo)
    for n in range(5):
        queue_record(settings, sample_receipt(n), JPEG)
        queue_record(settings, sample_passport(n))
    summary, _ = deliver(settings)
    assert summary.sent == 10
    assert logins(odoo) == 1
    assert odoo.state.calls["res.country.search_read"] == 1, "country ids are cached"


def _was_sending(settings, record_id):
    """What a SIGKILL mid-send leaves behind: the record `sending`, one attempt made."""
    with open_outbox(settings) as outbox:
        outbox.claim(outbox.get(record_id))
        assert outbox.get(record_id).state == SENDING


@pytest.mark.parametrize("done_before_the_crash", ["nothing", "expense", "expense+attachment", "everything"])
def test_a_receipt_cut_off_mid_delivery_is_finished_without_duplicates(odoo, done_before_the_crash):
    settings = odoo_settings(odoo.url, odoo)
    record_id = queue_record(settings, sample_receipt(1), JPEG)
    _was_sending(settings, record_id)
    state = odoo.state
    if done_before_the_crash != "nothing":
        # What the killed process had sent before it died (the answers never saved).
        expense = state._create(2, state.models["hr.expense"], {"name": "YONGFATT ENTERPRISE 1", "description": marker(record_id)})
        if done_before_the_crash != "expense":
            attachment = state._create(2, state.models["ir.attachment"], {
                "name": f"receipt-{record_id}.jpg", "datas": "/9j/4AAQSkZJRgABAQAAAQABAAD/2Q==",
                "res_model": "hr.expense", "res_id": expense})
            if done_before_the_crash == "everything":
                state.models["hr.expense"].rows[expense]["message_main_attachment_id"] = attachment
    summary, status = deliver(settings)
    assert summary.sent == 1 and status.counts[SENT] == 1
    assert state.count("hr.expense") == 1 and state.count("ir.attachment") == 1
    assert state.duplicates() == {}
    [expense] = state.made("hr.expense")
    assert expense["message_main_attachment_id"] == state.made("ir.attachment")[0]["id"]


def test_a_passport_cut_off_mid_delivery_is_found_by_its_ref(odoo):
    settings = odoo_settings(odoo.url, odoo)
    record = sample_passport(2)
    record_id = queue_record(settings, record)
    _was_sending(settings, record_id)
    odoo.state._create(2, odoo.state.models["res.partner"], {"name": "CHIDI OKONKWO", "ref": "PASSPORT:C0000002X", "comment": marker(record_id)})
    summary, _ = deliver(settings)
    assert summary.sent == 1 and odoo.state.count("res.partner") == 2  # partner 60 of the demo data + this one


def test_transient_failures_are_retried_with_backoff_until_delivered(odoo):
    faults = Faults(error_rate=0.3, timeout_rate=0.1, hang=0.4, seed=3)
    with twin(odoo, faults=faults) as server:
        settings = odoo_settings(server.url, server)
        settings.odoo.timeout = 0.2
        for n in range(10):
            queue_record(settings, sample_receipt(n), JPEG)
        summary, status = deliver(settings, max_seconds=60)
        assert summary.error is None and summary.sent == 10 and summary.retries > 0
        assert status.counts[SENT] == 10
        assert server.state.duplicates() == {}
        assert server.state.count("hr.expense") == 10 and server.state.count("ir.attachment") == 10


def test_wrong_password_is_named_and_nothing_is_lost(odoo):
    settings = odoo_settings(odoo.url, odoo)
    set_secret("odoo_secret", "wrong-password")
    ids = [queue_record(settings, sample_receipt(n), JPEG) for n in range(2)]
    summary, status = deliver(settings)
    assert summary.sent == 0 and summary.failed == 0 and summary.pending == 2
    refused = "refused the login 'admin' on database 'kiosk'" if odoo.VERSION == "18.0" else "refused the API key (Invalid apikey)"
    assert refused in summary.error and "odoo_secret" in summary.error
    assert refused in status.last_error
    set_secret("odoo_secret", API_KEY if odoo.VERSION == "18.0" else odoo.SECRET)  # an API key works in place of the password
    summary, status = deliver(settings)
    assert summary.sent == 2 and status.last_error == ""
    with open_outbox(settings) as outbox:
        assert [i.id for i in outbox.items(SENT)] == ids


def test_a_wrong_database_is_named(odoo):
    settings = odoo_settings(odoo.url, odoo)
    settings.odoo.database = "no_such_db"
    queue_record(settings, sample_passport())
    summary, status = deliver(settings)
    assert summary.error == "Odoo has no database 'no_such_db': check [odoo] database"
    assert status.counts[PENDING] == 1


def test_a_mapped_field_missing_in_this_odoo_refuses_to_start(odoo):
    settings = odoo_settings(odoo.url, odoo)
    settings.odoo.expense_fields = {**settings.odoo.expense_fields, "amount": "unit_amount"}  # Odoo 16's name
    queue_record(settings, sample_receipt(), JPEG)
    summary, status = deliver(settings)
    assert summary.error == (
        f"Odoo {odoo.VERSION}: model hr.expense has no field unit_amount (as amount); fix the mapping in [odoo.expense_fields]"
    )
    assert status.counts[PENDING] == 1 and odoo.state.calls["hr.expense.create"] == 0


@pytest.mark.parametrize(
    "status, body, content_type, expected",
    [
        (200, b"<html><body>Welcome to nginx!</body></html>", "text/html", "does not answer like Odoo (got text/html, not JSON-RPC)"),
        (404, b"<html>Not Found</html>", "text/html", "no Odoo JSON-RPC at"),
        (200, b'{"status": "ok"}', "application/json", "does not answer like Odoo (got application/json, not JSON-RPC)"),
    ],
    ids=["html-page", "404", "other-json-api"],
)
def test_a_server_that_is_not_odoo_is_named(status, body, content_type, expected):
    with StaticServer(status, body, content_type) as server:
        settings = odoo_settings(server.url)
        queue_record(settings, sample_passport())
        summary, state = deliver(settings)
    assert expected in summary.error and "check [odoo] url" in summary.error
    assert state.counts[PENDING] == 1 and state.counts[FAILED] == 0


def test_odoo_down_leaves_records_pending_with_a_retry_time():
    with OdooServer() as server:
        url = server.url
    settings = odoo_settings(url)  # nothing listens there any more
    queue_record(settings, sample_passport())
    summary, status = deliver(settings, max_seconds=0.2)
    assert summary.error is None and summary.sent == 0 and summary.pending == 1 and summary.retries >= 1
    assert "cannot reach Odoo" in status.last_error and status.next_attempt_at


def test_a_record_odoo_rejects_is_failed_with_the_reason_and_the_rest_go(odoo):
    settings = odoo_settings(odoo.url, odoo)
    record_id = queue_record(settings, sample_receipt(0, date="25/12/2018"), JPEG)  # a date OCR left unparsed
    queue_record(settings, sample_passport())
    summary, status = deliver(settings)
    assert (summary.sent, summary.failed) == (1, 1), "the passport behind it still goes"
    failed = status.items_failed[0]
    assert failed.id == record_id
    assert failed.last_error == "Odoo refused (ValueError): time data '25/12/2018' does not match format '%Y-%m-%d'"
    with open_outbox(settings) as outbox:
        assert outbox.retry_failed([record_id]) == 1
    summary, status = deliver(settings)
    assert summary.failed == 1 and status.counts[FAILED] == 1, "still wrong: failed again, still kept"
    assert odoo.state.count("hr.expense") == 0


@pytest.mark.parametrize(
    "product, employee_id, expected",
    [
        (999999, 0, "[odoo] product_id 999999 is not a product in Odoo: `kiosk sync --check` lists the expense categories"),
        ("mileage", 0, "[odoo] product_id {mileage} (Mileage) has a cost of 1.0: Odoo would replace each receipt's amount"),
        ("meals", 999999, "[odoo] employee_id 999999 is not an employee in Odoo"),
    ],
)
def test_a_wrong_product_or_employee_refuses_to_start(odoo, product, employee_id, expected):
    settings = odoo_settings(odoo.url, odoo)
    ids = odoo.state.IDS
    settings.odoo.product_id, settings.odoo.employee_id = ids.get(product, product), employee_id
    expected = expected.format(**ids)
    queue_record(settings, sample_receipt(), JPEG)
    summary, status = deliver(settings)
    assert summary.error.startswith(expected)
    assert status.counts[PENDING] == 1 and odoo.state.calls["hr.expense.create"] == 0


def test_an_incomplete_or_foreign_currency_receipt_fails_with_a_clear_reason(odoo):
    settings = odoo_settings(odoo.url, odoo)
    ids = odoo.state.IDS
    odoo.state.models["res.currency"].rows[ids["eur"]]["active"] = True  # inactive in 19's demo data
    no_total = queue_record(settings, sample_receipt(0, total=None), JPEG)
    inactive = queue_record(settings, sample_receipt(1, currency="MYR"), JPEG)
    euro = queue_record(settings, sample_receipt(2, currency="EUR"), JPEG)
    summary, _ = deliver(settings)
    assert (summary.sent, summary.failed) == (1, 2)
    with open_outbox(settings) as outbox:
        assert outbox.get(no_total).last_error == "the receipt has no total: correct it and retry"
        assert outbox.get(inactive).last_error == "the currency MYR is not active in Odoo: activate it, or correct the receipt"
        assert outbox.get(euro).state == SENT
    assert odoo.state.models["hr.expense"].rows[ids["expense"]]["currency_id"] == ids["eur"]


def test_server_messages_lose_the_personal_data_they_echo(odoo):
    record = sample_passport(4)
    surname, number = record.value("surname"), record.value("document_number")

    class Echoing(type(odoo.state)):
        def _create(self, uid, model, values):
            from odoo_server import RpcError
            raise RpcError("odoo.exceptions.ValidationError", f"Contact {values.get('name')} with ref {values.get('ref')} is invalid", "")

    with twin(odoo, Echoing()) as server:
        settings = odoo_settings(server.url, server)
        record_id = queue_record(settings, record)
        summary, status = deliver(settings)
    assert summary.failed == 1
    error = status.items_failed[0].last_error
    assert error.startswith("Odoo refused (ValidationError): Contact ***")
    assert surname not in error and number not in error and "CLAIRE" not in error
    assert record_id == status.items_failed[0].id


def test_each_recorded_odoo_error_is_classified_and_worded():
    from odoo_server import load_recordings

    from kiosk.errors import SyncError
    from kiosk.sync.targets.odoo import OdooRpc
    from kiosk.sync.targets.base import PermanentError

    recordings = {entry["note"]: entry["response"].get("error") for entry in load_recordings()}
    if not recordings:
        pytest.skip("recordings not found")
    rpc = OdooRpc("http://127.0.0.1:9", "kiosk", 1.0)
    expected = {
        "error: a field that does not exist in this version": (PermanentError, "Odoo refused (ValueError): Invalid field 'unit_amount' on model 'hr.expense'"),
        "error: a record that does not exist": (PermanentError, "Odoo refused (MissingError): Record does not exist or has been deleted. (Record: hr.employee(999999,), User: 2)"),
        "error: wrong type for a many2one": (PermanentError, 'Odoo refused (InvalidTextRepresentation): invalid input syntax for type integer: "MEALS"'),
        "error: wrong password on an object call": (SyncError, "Odoo refused the credentials (Access Denied): check [odoo] login and the odoo_secret password or API key"),
        "error: database that does not exist": (SyncError, "Odoo has no database 'kiosk': check [odoo] database"),
    }
    for note, (kind, text) in expected.items():
        error = rpc._error(recordings[note])
        assert type(error) is kind and str(error) == text, note
    rpc.close()


def test_an_odoo_user_without_employee_or_a_missing_module_is_named(odoo):
    settings = odoo_settings(odoo.url, odoo)
    queue_record(settings, sample_receipt(), JPEG)
    odoo.state.models["hr.employee"].rows[1]["user_id"] = False
    summary, status = deliver(settings)
    assert summary.error == "the Odoo user 'admin' has no employee: set [odoo] employee_id (expenses need an employee)"
    settings.odoo.employee_id = 6
    settings.odoo.expense_model = "x.expense"
    summary, status = deliver(settings)
    assert summary.error == f"Odoo {odoo.VERSION}: cannot read the fields of x.expense (Odoo has no model 'x.expense'); is its module installed?"
    assert status.counts[PENDING] == 1
    settings.odoo.expense_model = "hr.expense"
    summary, _ = deliver(settings)
    assert summary.sent == 1 and odoo.state.models["hr.expense"].rows[odoo.state.IDS["expense"]]["employee_id"] == 6


def test_logs_carry_no_personal_data(odoo, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    settings = odoo_settings(odoo.url, odoo)
    records = [sample_passport(n) for n in range(3)] + [sample_passport(4, document_number="C01X00T47")]
    for record in records:
        queue_record(settings, record)
    with twin(odoo) as flaky:
        flaky.faults = Faults(error_rate=0.5, seed=1)
        settings.odoo.url = flaky.url
        summary, _ = deliver(settings, max_seconds=20)
    assert summary.sent == 4
    text = caplog.text
    assert "created res.partner" in text
    for record in records:
        for name in ("surname", "given_names", "document_number", "birth_date"):
            assert str(record.value(name)) not in text


def test_a_redirect_names_the_address_to_use():
    with StaticServer(301, b"", headers={"Location": "https://odoo.example.org/jsonrpc"}) as server:
        settings = odoo_settings(server.url)
        queue_record(settings, sample_passport())
        summary, status = deliver(settings)
    assert summary.error == (
        "Odoo answered HTTP 301, a redirect to https://odoo.example.org/jsonrpc: set [odoo] url to the final address"
    )
    assert status.counts[PENDING] == 1


def is_expense_create(handler, body):
    """The request creates an expense, over JSON-RPC or JSON-2."""
    if handler.path == "/json/2/hr.expense/create":
        return True
    params = json.loads(body).get("params") or {} if handler.path == "/jsonrpc" else {}
    return (params.get("args") or [])[3:5] == ["hr.expense", "create"]


def test_a_create_odoo_finishes_after_the_kiosk_stopped_waiting_is_not_made_twice(odoo):
    """The race a marker search alone loses: the lost create lands after the retry looked for it."""
    import time

    class SlowFirstCreate(type(odoo)):
        slow = True
        landed = threading.Event()

        def answer(self, handler, body):
            if self.slow and is_expense_create(handler, body):
                self.slow = False
                time.sleep(0.8)  # the kiosk gave up at 0.2 s; Odoo creates the expense anyway
                try:
                    return super().answer(handler, body)
                finally:
                    self.landed.set()
            return super().answer(handler, body)

    with SlowFirstCreate(type(odoo.state)()) as server:
        settings = odoo_settings(server.url, server)
        settings.odoo.timeout = 0.2
        settings.odoo.doubt_seconds = 1.5
        first = queue_record(settings, sample_receipt(0), JPEG)
        second = queue_record(settings, sample_receipt(1), JPEG)
        summary, status = deliver(settings, max_seconds=10)
        assert SlowFirstCreate.landed.wait(5)
        assert summary.sent == 2 and status.counts[SENT] == 2
        expenses = server.state.made("hr.expense")
        assert len(expenses) == 2 and server.state.duplicates() == {}
        by_record = {e["description"].rsplit(":", 1)[1]: e["id"] for e in expenses}
        assert by_record[second] < by_record[first], "the record in doubt did not hold up the one behind it"
        assert server.state.count("ir.attachment") == 2


# -- Odoo 17/18/19: the protocol for the version ------------------------------------------


@pytest.mark.parametrize("protocol", ["auto", "json2"])
def test_odoo_19_is_spoken_to_over_json2_and_never_over_the_deprecated_jsonrpc(protocol):
    with Odoo19Server() as server:
        settings = odoo_settings(server.url, server)
        settings.odoo.protocol = protocol
        if protocol == "json2":
            settings.odoo.login = ""  # JSON-2 needs no login: the API key is the user
        queue_record(settings, sample_receipt(0), JPEG)
        queue_record(settings, sample_passport(1))
        summary, _ = deliver(settings)
    assert summary.sent == 2 and summary.target.endswith(", uid 2, JSON-2 API")
    assert server.state.calls["json2"] > 0 and server.state.calls["object.execute_kw"] == 0
    assert server.state.server_log == [], "no deprecation warning in Odoo's log"


def test_odoo_19_over_jsonrpc_when_the_site_asks_for_it():
    with Odoo19Server() as server:
        settings = odoo_settings(server.url, server)
        settings.odoo.protocol = "jsonrpc"
        queue_record(settings, sample_passport(1))
        summary, _ = deliver(settings)
    assert summary.sent == 1 and summary.target.endswith("uid 2, JSON-RPC API (deprecated since Odoo 19)")
    assert server.state.calls["json2"] == 0 and server.state.count("res.partner") == 2  # the demo holder + this one
    assert "deprecated in Odoo 19 and scheduled for removal in Odoo 22" in server.state.server_log[0]


@pytest.mark.parametrize(
    "server_class, protocol, secret, expected",
    [
        (OdooServer, "json2", "admin", 'Odoo 18.0 has no JSON-2 API (Odoo 19+): set [odoo] protocol = "auto" or "jsonrpc"'),
        (Odoo19Server, "auto", "admin", "Odoo refused the API key (Invalid apikey): Odoo 19+ takes an API key as odoo_secret, "
                                        'not a password (Preferences > Account Security), or set [odoo] protocol = "jsonrpc"'),
    ],
    ids=["json2-on-18", "password-on-19"],
)
def test_a_protocol_the_server_cannot_speak_is_named(server_class, protocol, secret, expected):
    with server_class() as server:
        settings = odoo_settings(server.url, server)
        settings.odoo.protocol = protocol
        set_secret("odoo_secret", secret)
        queue_record(settings, sample_passport())
        summary, status = deliver(settings)
    assert summary.error == expected and status.counts[PENDING] == 1


def test_each_recorded_json2_error_is_classified_and_worded():
    """The recorded requests, sent by the kiosk's JSON-2 client to the replaying server: what the person reads."""
    from odoo19_server import DEMO_API_KEY

    from kiosk.errors import SyncError
    from kiosk.sync.targets.base import PermanentError
    from kiosk.sync.targets.odoo_rpc import OdooJson2

    expense = {"name": "bad field", "unit_amount": 10.0, "employee_id": 1}
    product = {"name": "bad product", "total_amount_currency": 42.5, "date": "2026-11-22", "employee_id": 1, "product_id": "FOOD",
               "description": "Created by kiosk sync test", "payment_mode": "own_account", "currency_id": 1}
    cases = [
        ("DUMMY-API-KEY", "kiosk19", ("hr.expense", "create"), {"vals_list": [expense]},
         PermanentError, "Odoo refused (ValueError): Invalid field 'unit_amount' in 'hr.expense'"),
        ("DUMMY-API-KEY", "kiosk19", ("hr.expense", "create"), {"vals_list": [product]},
         PermanentError, 'Odoo refused (InvalidTextRepresentation): invalid input syntax for type integer: "FOOD"'),
        ("DUMMY-API-KEY", "kiosk19", ("x.kiosk.receipt", "search_read"), {"domain": []},
         PermanentError, "Odoo has no model 'x.kiosk.receipt'"),
        ("DUMMY-API-KEY", "kiosk19", ("res.partner", "create"), {"vals_list": [{"ref": "PASSPORT:NONAME", "country_id": 57}]},
         PermanentError, "Odoo refused (ValidationError): The operation cannot be completed: Contacts require a name"),
        ("DUMMY-API-KEY", "kiosk19", ("hr.expense", "write"), {"ids": [999999], "vals": {"name": "x"}},
         PermanentError, "Odoo refused (MissingError): Record does not exist or has been deleted. (Record: hr.expense(999999,), User: 2)"),
        (DEMO_API_KEY, "kiosk19", ("ir.config_parameter", "search_read"), {"domain": [], "fields": ["key"], "limit": 1},
         PermanentError, "Odoo refused (AccessError): You are not allowed to access 'System Parameter' (ir.config_parameter) records."),
        ("0" * 40, "kiosk19", ("res.users", "context_get"), {}, SyncError, "Odoo refused the API key (Invalid apikey)"),
        ("DUMMY-API-KEY", "no_such_db", ("res.users", "context_get"), {}, SyncError, "Odoo has no database 'no_such_db': check [odoo] database"),
    ]
    with Odoo19Server() as server:
        for key, database, (model, method), body, kind, text in cases:
            client = OdooJson2(server.url, database, 5.0, 0.0, key)
            ids = body.pop("ids", None)
            with pytest.raises(kind) as raised:
                client.call(model, method, ids, **body)
            client.close()
            assert str(raised.value).startswith(text), (model, method)
        assert server.state.count("hr.expense") == 0


def test_a_plain_web_server_is_a_wrong_url_not_a_server_to_wait_for():
    """`python -m http.server` answers POST with 501: before, retried for ever as "Odoo answered HTTP 501"."""
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        settings = odoo_settings(url)
        queue_record(settings, sample_passport())
        summary, status = deliver(settings, max_seconds=2)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert summary.error == f"{url}/web/webclient/version_info answered HTTP 501 (text/html): that is not Odoo; check [odoo] url"
    assert summary.retries == 0 and status.counts[PENDING] == 1
