"""Receipts: straightening (`straighten`), text rows (`lines`), values (`values`), field
extraction (`extract`), the validity rules (`rules`) and the reader that runs them (`read`)."""
