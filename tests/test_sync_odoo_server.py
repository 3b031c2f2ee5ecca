"""The loopback Odoo answers the recorded requests with the recorded bytes, errors included."""

import json

import httpx
import pytest
from odoo_server import OdooServer, OdooState, load_recordings, odoo_body, recordings_path

RECORDINGS = load_recordings()
pytestmark = pytest.mark.skipif(not RECORDINGS, reason="shared/odoo/odoo18-jsonrpc.json not found")


@pytest.mark.parametrize("simulate_errors", [False, True], ids=["recorded-errors", "simulated-errors"])
def test_replaying_the_recordings_gives_the_recorded_bytes(simulate_errors):
    state = OdooState()
    if simulate_errors:
        state.recorded_errors = {}  # every answer from the simulation, not the recording
    with OdooServer(state) as server:
        mismatches = []
        for entry in RECORDINGS:
            response = httpx.post(f"{server.url}/jsonrpc", json=entry["request"])
            assert response.status_code == entry["http_status"] == 200
            assert response.headers["content-type"] == "application/json; charset=utf-8"
            if response.content != odoo_body(entry["response"]):
                mismatches.append(entry["note"])
    if simulate_errors:
        # Only the SQL excerpt Postgres quotes in this error cannot be simulated.
        assert mismatches == ["error: wrong type for a many2one"]
    else:
        assert mismatches == [], mismatches
    assert len(RECORDINGS) == 24, recordings_path()


def test_the_recorded_facts_hold():
    with OdooServer() as server:
        def call(service, method, *args):
            body = {"jsonrpc": "2.0", "method": "call", "id": 7, "params": {"service": service, "method": method, "args": list(args)}}
            return httpx.post(f"{server.url}/jsonrpc", json=body).json()

        assert call("common", "authenticate", "kiosk", "admin", "wrong", {}) == {"jsonrpc": "2.0", "id": 7, "result": False}
        denied = call("object", "execute_kw", "kiosk", 2, "wrong", "res.partner", "search_read", [[]], {})
        assert denied["error"]["data"]["name"] == "odoo.exceptions.AccessDenied"
        # A product with a cost overrides the amount (quantity x cost): the README's warning.
        expense = call("object", "execute_kw", "kiosk", 2, "admin", "hr.expense", "create",
                       [{"name": "Taxi", "total_amount_currency": 12.0, "product_id": 46}], {})["result"]
        read = call("object", "execute_kw", "kiosk", 2, "admin", "hr.expense", "read", [[expense]], {"fields": ["total_amount_currency"]})
        assert read["result"][0]["total_amount_currency"] == 1.0
        assert httpx.get(f"{server.url}/web").status_code == 404
        assert json.loads(httpx.post(f"{server.url}/jsonrpc", content=b"{").content)["error"]["code"] == 400


def test_replaying_the_odoo19_recordings_gives_the_recorded_status_headers_and_bytes():
    """All 65 JSON-2 exchanges, in the recorded order, against a fresh loopback Odoo 19: errors, HTML pages and all."""
    from odoo19_server import Odoo19Server, recorded_bytes
    from odoo19_server import load_recordings as load19

    recordings = load19()
    if not recordings:
        pytest.skip("shared/odoo/odoo19-json2.json not found")
    mismatches = []
    with Odoo19Server() as server:
        for number, entry in enumerate(recordings):
            body = entry["request_body"]
            raw = b"" if body in (None, "") else body.encode() if isinstance(body, str) else json.dumps(body).encode()
            response = httpx.request(entry["method"], server.url + entry["path"], headers=entry["request_headers"], content=raw)
            same = (
                response.status_code == entry["http_status"]
                and response.content == recorded_bytes(entry)
                # HTTP drops the trailing space of Odoo's `WWW-Authenticate: Bearer `.
                and all((response.headers.get(k) or "").strip() == v.strip() for k, v in entry["response_headers"].items())
            )
            if not same:
                mismatches.append((number, entry["note"]))
        assert server.state.server_log and "scheduled for removal in Odoo 22" in server.state.server_log[0]
    assert len(recordings) == 65 and mismatches == []


def test_the_odoo19_simulation_answers_like_the_recordings_where_nothing_was_recorded():
    """Requests that were not recorded get 19's own shapes: HTTP status, JSON body, or the HTML pages."""
    from odoo19_server import API_KEY, Odoo19Server

    with Odoo19Server() as server:
        def post(path, body, **headers):
            return httpx.post(f"{server.url}/json/2/{path}", json=body, headers={"Authorization": f"bearer {API_KEY}", **headers})

        made = post("res.partner/create", {"vals_list": [{"name": "Ana", "ref": "PASSPORT:X1"}]})
        assert made.status_code == 200 and made.json() == [100]
        unknown = post("res.partner/create", {"vals_list": [{"name": "Ana", "mobile": "+1"}]})
        assert unknown.status_code == 500 and unknown.json()["message"] == "Invalid field 'mobile' in 'res.partner'"
        assert post("hr.expense/fields_get", {"allfields": ["sheet_id", "name"]}).json().keys() == {"name"}
        wrong_db = post("res.users/context_get", {}, **{"X-Odoo-Database": "other"})
        assert wrong_db.status_code == 404 and wrong_db.headers["content-type"].startswith("text/html")
        assert httpx.get(f"{server.url}/web/version").json()["version"] == "19.0"
