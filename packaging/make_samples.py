#!/usr/bin/env python3
"""Render the self-test samples (passport page, receipt, expected.json) into a folder for the bundle.

    .venv/bin/python packaging/make_samples.py build/packaging/selftest

The images are generated, never committed; `kiosk/cli/selftest.py` holds the
renderer so the source checkout and the frozen app test the same documents.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kiosk.cli.selftest import write_samples  # noqa: E402

if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} OUTPUT_DIR")
    print(write_samples(sys.argv[1]))
