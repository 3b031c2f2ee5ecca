"""The app's screens, one widget each, shown one at a time by the main window's stack."""
