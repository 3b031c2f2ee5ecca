"""Warm MRZ read time per image: `MrzReader.read` on image files, median of `--runs` reads each (after one warm-up).

Prints, per group of files, the median over the images of their median time and the slowest image. Fuzz images
(blank, black, tiny, ...) come from `tests/fuzz_images.py`:

    .venv/bin/python bench/mrz_read_time.py ../shared/data/mrz/*.jpg
    .venv/bin/python bench/mrz_read_time.py --fuzz blank,black --count 24
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import cv2

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("images", nargs="*", help="image files")
    parser.add_argument("--fuzz", default="", help="comma-separated fuzz kinds from tests/fuzz_images.py (e.g. blank,black)")
    parser.add_argument("--count", type=int, default=24, help="fuzz images generated before picking the kinds")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    from kiosk.config import Settings
    from kiosk.scan.models import ScanModels

    images = [(path, cv2.imread(path)) for path in args.images]
    if args.fuzz:
        sys.path.insert(0, str(ROOT / "tests"))
        from fuzz_images import fuzz_images

        kinds = set(args.fuzz.split(","))
        images += [(name, image) for name, image in fuzz_images(args.count) if name.split("-")[2] in kinds]
    images = [(name, image) for name, image in images if image is not None]
    if not images:
        parser.error("no readable images")
    reader = ScanModels(Settings(), live=False).reader("passport")
    times = []
    for name, image in images:
        reader.read(image)
        runs = []
        for _ in range(args.runs):
            started = time.perf_counter()
            read = reader.read(image)
            runs.append(time.perf_counter() - started)
        times.append(statistics.median(runs))
        print(f"{Path(name).name}: {read.result.status} {times[-1]:.3f} s", flush=True)
    print(f"{len(images)} images: median {statistics.median(times):.3f} s, slowest {max(times):.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
