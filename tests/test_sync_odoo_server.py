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
