"""The PySide6 application: windows, widgets and the Qt workers that keep the UI thread free.

`kiosk.ui.qt` is imported first: it refuses, with a clear message, a PySide6
that loses references on Python 3.11 (6.12.0) before any other Qt call is made.
"""

from kiosk.ui import qt as _qt  # noqa: F401 - first, for its guard
