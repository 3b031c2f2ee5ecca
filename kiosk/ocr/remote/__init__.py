"""The organisation's OCR service: the client (`client`) and the one fallback policy (`fallback`)."""
