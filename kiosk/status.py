"""What a read came to: one status type for passports and receipts, with its ranking.

`Status` is a `str` enum, so a status compares equal to its JSON text
(`Status.OK == "ok"`) and is written to JSON, the outbox and the screen as
that text. `rank` orders reads when choosing the better of two (a check
digit that holds beats one that fails, any read beats nothing read).
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["NOTHING_READ", "Status", "rank"]


class Status(StrEnum):
    OK = "ok"
    """A passport whose check digits all hold and fields are valid; a receipt with its required fields
    (its `warnings` may still name amounts that do not add up)."""
    INVALID = "invalid"
    """A document was read but a check fails or a field is not valid: the reason says which."""
    INCOMPLETE = "incomplete"
    """A receipt was read but a field it needs is missing."""
    NO_MRZ = "no_mrz"
    """Nothing that is an MRZ was read."""
    NO_RECEIPT = "no_receipt"
    """Nothing that is a receipt was read."""

    @property
    def rank(self) -> int:
        """2 for ok, 1 for a read that needs the operator (invalid, incomplete), 0 for nothing read."""
        return _RANKS[self]

    @property
    def nothing_read(self) -> bool:
        return self.rank == 0


_RANKS = {
    Status.OK: 2,
    Status.INVALID: 1,
    Status.INCOMPLETE: 1,
    Status.NO_MRZ: 0,
    Status.NO_RECEIPT: 0,
}

NOTHING_READ = frozenset(s for s in Status if s.nothing_read)


def rank(status: str) -> int:
    """The rank of a status given as text; 0 for text that is not a status."""
    try:
        return Status(status).rank
    except ValueError:
        return 0
