"""Durable outbox and delivery to Odoo and GreenPay (no Qt)."""
