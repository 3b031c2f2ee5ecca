"""What every benchmark here reports: percentiles of timings and peak memory.

Benchmarks run as scripts (`python bench/NAME.py`), so this sits next to them
and is imported as `measure`.
"""

from __future__ import annotations

import math
import resource
import statistics
import sys


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (with 7 runs, p95 is the slowest run); NaN for no values."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)] if ordered else float("nan")


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MB (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def table(header: list[str], body: list[list[str]]) -> str:
    """Rows of cells as an aligned plain-text table with a rule under the header."""
    widths = [max(len(cells[i]) for cells in [header, *body]) for i in range(len(header))]
    lines = [" | ".join(cell.ljust(width) for cell, width in zip(cells, widths)).rstrip() for cells in [header, *body]]
    lines.insert(1, "-+-".join("-" * width for width in widths))
    return "\n".join(lines)
