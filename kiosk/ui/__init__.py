"""The PySide6 application: windows, widgets and the Qt workers that keep the UI thread free.

`kiosk.ui.qt` is imported first: it guards against a reference-count bug of
PySide6 6.12.0 on Python 3.11 before any other Qt call is made.
"""

from kiosk.ui import qt as _qt  # noqa: F401 - first, for its guard
