"""Write a synthetic MRZ evaluation set: images plus labels.json in the shared format.

    .venv/bin/python bench/mrz_set.py OUT_DIR [--count 300] [--seed 7]

Mix: documents of every format (TD1, TD2, TD3, MRV-A, MRV-B) photographed
badly (a fifth of them hard: stronger blur, noise, tilt, small or large),
about 8% with a spoiled check digit (must never read `ok`) and about 7%
negatives (a desk with a receipt or nothing; must read `no_mrz`). The labels
follow `../shared/data/mrz/labels.json`: `has_mrz`, `format`, `mrz_lines`,
`all_check_digits_valid`; and `mrz_char_px`, how tall an MRZ capital is in
the photo (in pixels, before perspective), by which `mrz_eval.py` sorts its reads.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import numpy as np

from kiosk.capture.synthetic import ReceiptData, receipt_page
from kiosk.capture.synthetic_ids import FORMATS, desk, photograph, photograph_scaled, random_document


def negative(rng: np.random.Generator) -> np.ndarray:
    if rng.random() < 0.5:
        return desk(rng, 1280, 960)
    return photograph(receipt_page(ReceiptData()), rng)


def write_set(out: Path, count: int, seed: int) -> dict[str, dict]:
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    labels: dict[str, dict] = {}
    for i in range(count):
        roll = rng.random()
        name = f"syn_{i:04d}.jpg"
        if roll < 0.07:
            image = negative(rng)
            labels[name] = {"has_mrz": False, "format": None, "mrz_lines": [], "all_check_digits_valid": False}
        else:
            valid = roll >= 0.15
            doc = random_document(rng, FORMATS[i % len(FORMATS)], valid=valid)
            image, scale = photograph_scaled(doc.page, rng, hard=rng.random() < 0.2)
            labels[name] = {
                "has_mrz": True,
                "format": doc.format,
                "mrz_lines": list(doc.mrz_lines),
                "all_check_digits_valid": valid,
                "mrz_char_px": round(doc.mrz_char_px * scale, 1),
            }
        cv2.imwrite(str(out / name), image, [cv2.IMWRITE_JPEG_QUALITY, 92])
    (out / "labels.json").write_text(json.dumps(labels, indent=1))
    return labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    labels = write_set(args.out, args.count, args.seed)
    print(f"{len(labels)} images in {args.out}")


if __name__ == "__main__":
    main()
