"""Passport and receipt scanning kiosk."""

__version__ = "0.1.0"
