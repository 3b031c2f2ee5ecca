"""Giving the memory of large, short-lived tensors back to the system as soon as they are freed."""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
from functools import lru_cache

log = logging.getLogger(__name__)

M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 1024 * 1024
"""Blocks this large or larger get their own mapping, unmapped when freed. Lower thresholds saved more memory
but cost time (8 MB: 535 MB peak, 1.9 s a receipt; 32 MB: 668 MB, 1.4 s; glibc's moving threshold: 875 MB, 1.4 s)."""


@lru_cache(maxsize=1)
def keep_large_blocks_apart() -> bool:
    """Have glibc map every very large block on its own (and unmap it when freed); False where that cannot be set.

    ONNX Runtime (run without its arena) allocates each layer's output with
    malloc: tens of megabytes for a receipt's detection, 80 MB for a batch of
    PP-OCRv6 scores. glibc raises its mapping threshold after the first such
    block is freed, so later ones come from the heap, which then never shrinks:
    the app held 1.0 GB after reading receipts. A fixed threshold keeps the
    largest blocks out of the heap (figures for 40 receipts at `MMAP_THRESHOLD`).
    """
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        libc = ctypes.CDLL(name)
        return bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))
    except (OSError, AttributeError) as exc:  # not glibc (musl, macOS, Windows)
        log.debug("mallopt unavailable: %s", exc)
        return False
