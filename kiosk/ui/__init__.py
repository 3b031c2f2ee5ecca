"""The PySide6 application: windows, widgets and the Qt workers that keep the UI thread free."""
