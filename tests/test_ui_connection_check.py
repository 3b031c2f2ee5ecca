"""The Settings screen's "Test connection" checks what `kiosk sync --check` checks, with what is typed in the form."""

from __future__ import annotations

from PySide6.QtCore import Qt

from kiosk.secrets import get_secret
from test_ui_support import make_window, ui_models, wait_screen  # noqa: F401 - fixtures


def test_the_settings_screen_catches_an_expense_product_that_would_replace_every_amount(qtbot, make_window):
    """Before, the screen logged in and read the mapped fields, said ✓, and every receipt then went
    to Odoo with the product's cost as its amount; `kiosk sync --check` refused that product. Now
    both run `kiosk.sync.check`, with the password typed in the form and not yet saved."""
    from odoo_server import API_KEY, OdooServer

    with OdooServer() as server:
        window = make_window()
        window.open_settings()
        wait_screen(qtbot, window, window.settings_screen, 10_000)  # no PIN set yet: straight in
        sync = window.settings_screen.sync
        sync.target.setCurrentIndex(sync.target.findData("odoo"))
        sync.odoo_url.setText(server.url)
        sync.odoo_database.setText("kiosk")
        sync.odoo_login.setText("admin")
        sync.odoo_secret.setText(API_KEY)
        sync.odoo_product.setValue(46)  # "Mileage", with a cost of 1.0

        def test_connection() -> str:
            sync.tester.result.setText("")
            qtbot.mouseClick(sync.tester.button, Qt.MouseButton.LeftButton)
            qtbot.waitUntil(lambda: sync.tester.result.text().startswith(("✓", "✗")), timeout=30_000)
            return sync.tester.result.text()

        refused = test_connection()
        assert refused.startswith("✗ [odoo] product_id 46 (Mileage) has a cost of 1.0: Odoo would replace each receipt's amount")
        sync.odoo_product.setValue(999999)
        assert test_connection().startswith("✗ [odoo] product_id 999999 is not a product in Odoo")
        sync.odoo_product.setValue(44)  # "Meals", cost 0
        sync.odoo_employee.setValue(999999)
        assert test_connection().startswith("✗ [odoo] employee_id 999999 is not an employee in Odoo")
        sync.odoo_employee.setValue(0)
        assert test_connection() == f"✓ Odoo 18.0 at {server.url}, database kiosk, uid 2"
        sync.odoo_secret.setText("not-the-key")
        wrong = test_connection()
        assert wrong.startswith("✗ Odoo 18.0 refused the login 'admin'") and "not-the-key" not in wrong
        assert server.state.count("hr.expense") == 0  # a check creates nothing
    assert get_secret("odoo_secret") is None  # testing stores nothing
