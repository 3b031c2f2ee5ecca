"""Training the MRZ cell classifier (`mrz_cells`) on OCR-B renders, at setup time.

Nothing is downloaded and nothing trained is committed: `scripts/setup.sh`
and the packaging build run `python -m kiosk.ocr.mrz.cells_train`, which
renders random MRZ rows in OCR-B (Debian `fonts-ocr-b`) between neighbouring
rows, spoils them the way cameras do (resolution, blur, noise, JPEG, tilt,
uneven ink), cuts them into cells exactly as reading does, and fits a small
perceptron. The seed is fixed, so every machine trains the same weights.
"""

from __future__ import annotations

import argparse
import hashlib
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from kiosk.ocr.mrz import cells as mrz_cells
from kiosk.ocr.mrz.cells import CELL_H, CELL_W, CLASSES, MODEL_PATH, CellClassifier, cell_images
FONT_PATHS = (
    Path(__file__).resolve().parents[3] / "resources" / "fonts" / "OCRB.otf",
    Path("/usr/share/fonts/opentype/ocr-b/OCRB.otf"),
)
WIDTHS = (44, 36, 30)
HIDDEN = 192
SEED = 9303


def font_path() -> Path:
    for path in FONT_PATHS:
        if path.exists():
            return path
    raise FileNotFoundError("OCR-B font not found; install Debian fonts-ocr-b (scripts/setup.sh does)")


def random_row(rng: np.random.Generator, width: int) -> str:
    """MRZ-like text: letters, digits and filler runs, in the proportions MRZ lines have."""
    out: list[str] = []
    while len(out) < width:
        kind = rng.random()
        if kind < 0.3:
            out += ["<"] * int(rng.integers(1, 12))
        elif kind < 0.6:
            out += list(rng.choice(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"), int(rng.integers(2, 9))))
        else:
            out += list(rng.choice(list(CLASSES[:-1]), int(rng.integers(2, 10))))
    return "".join(out[:width])


def render_row(rng: np.random.Generator, font_file: Path, text: str) -> tuple[np.ndarray, tuple[float, float]]:
    """One MRZ row between its neighbours, photographed badly, cropped the way the reader crops rows.

    Also the x of the first and last character's centre, moved by as much
    as the recogniser's own estimate is off.
    """
    size = int(rng.integers(28, 44))
    font = ImageFont.truetype(str(font_file), size)
    spacing = size * rng.uniform(1.25, 1.6)
    advance = font.getlength("<")
    margin = int(advance * rng.uniform(0.3, 3.0))
    width = int(advance * len(text)) + 2 * margin
    height = int(3 * spacing + size)
    paper = int(rng.integers(150, 250))
    ink = int(rng.integers(0, min(100, paper - 60)))
    image = Image.new("L", (width, height), paper)
    draw = ImageDraw.Draw(image)
    for row in range(3):
        line = text if row == 1 else random_row(rng, len(text))
        draw.text((margin, int(0.3 * size + row * spacing)), line, font=font, fill=ink)
    top, bottom = font.getbbox("P")[1], font.getbbox("P")[3]
    y0 = int(0.3 * size + spacing) + top
    y1 = int(0.3 * size + spacing) + bottom
    array = np.asarray(image, np.float32)
    weight = rng.integers(-1, 2)
    if weight:
        kernel = np.ones((2, 2), np.uint8)
        morph = cv2.erode if weight > 0 else cv2.dilate
        array = morph(array, kernel)
    angle = rng.uniform(-1.5, 1.5)
    matrix = cv2.getRotationMatrix2D((array.shape[1] / 2, (y0 + y1) / 2), angle, 1.0)
    array = cv2.warpAffine(array, matrix, (array.shape[1], array.shape[0]), borderMode=cv2.BORDER_REPLICATE)
    pad = (y1 - y0) * rng.uniform(0.12, 0.4)
    array = array[max(0, int(y0 - pad)) : int(y1 + pad)]
    target = rng.uniform(6.0, 30.0)
    scale = target / (y1 - y0)
    fx = scale * rng.uniform(0.85, 1.25)
    array = cv2.resize(array, None, fx=fx, fy=scale, interpolation=cv2.INTER_AREA)
    pitch = advance * fx
    jitter = rng.normal(0, 0.12 * pitch, 2)
    ends = (margin * fx + 0.5 * pitch + jitter[0], margin * fx + (len(text) - 0.5) * pitch + jitter[1])
    sigma = rng.uniform(0.0, 1.4)
    if sigma > 0.3:
        array = cv2.GaussianBlur(array, (0, 0), sigma)
    light = np.linspace(rng.uniform(0.75, 1.0), rng.uniform(0.85, 1.1), array.shape[1], dtype=np.float32)
    array = array * light[None, :] + rng.normal(0, rng.uniform(1, 12), array.shape)
    array = np.clip(array, 0, 255).astype(np.uint8)
    ok, encoded = cv2.imencode(".jpg", array, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(50, 95))])
    return cv2.imdecode(encoded, cv2.IMREAD_GRAYSCALE), ends


def training_set(rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    font_file = font_path()
    xs, ys = [], []
    index = {c: i for i, c in enumerate(CLASSES)}
    while len(xs) < rows:
        width = int(rng.choice(WIDTHS))
        text = random_row(rng, width)
        row, ends = render_row(rng, font_file, text)
        cells = cell_images(row, width, ends)
        if cells is None:
            continue
        xs.append(cells)
        ys.append(np.array([index[c] for c in text]))
    return np.concatenate(xs).reshape(-1, CELL_H * CELL_W), np.concatenate(ys)


def fit(x: np.ndarray, y: np.ndarray, seed: int, epochs: int = 12, batch: int = 256) -> CellClassifier:
    """A ReLU perceptron fitted with Adam on cross-entropy."""
    rng = np.random.default_rng(seed)
    n_in, n_out = x.shape[1], len(CLASSES)
    params = [
        (rng.standard_normal((n_in, HIDDEN)) * np.sqrt(2 / n_in)).astype(np.float32),
        np.zeros(HIDDEN, np.float32),
        (rng.standard_normal((HIDDEN, n_out)) * np.sqrt(1 / HIDDEN)).astype(np.float32),
        np.zeros(n_out, np.float32),
    ]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    step = 0
    for epoch in range(epochs):
        rate = 2e-3 * (0.5 ** (epoch / 4))
        order = rng.permutation(len(x))
        for start in range(0, len(x), batch):
            idx = order[start : start + batch]
            xb, yb = x[idx], y[idx]
            w1, b1, w2, b2 = params
            pre = xb @ w1 + b1
            hidden = np.maximum(pre, 0)
            logits = hidden @ w2 + b2
            logits -= logits.max(axis=1, keepdims=True)
            probs = np.exp(logits)
            probs /= probs.sum(axis=1, keepdims=True)
            probs[np.arange(len(yb)), yb] -= 1
            d_logits = probs / len(yb)
            d_hidden = (d_logits @ w2.T) * (pre > 0)
            grads = [xb.T @ d_hidden, d_hidden.sum(0), hidden.T @ d_logits, d_logits.sum(0)]
            step += 1
            for i, g in enumerate(grads):
                m[i] = 0.9 * m[i] + 0.1 * g
                v[i] = 0.999 * v[i] + 0.001 * g * g
                m_hat = m[i] / (1 - 0.9**step)
                v_hat = v[i] / (1 - 0.999**step)
                params[i] -= (rate * m_hat / (np.sqrt(v_hat) + 1e-8)).astype(np.float32)
    return CellClassifier(*params)


def source_stamp(rows: int = 3000, seed: int = SEED) -> str:
    """What the weights follow from: this trainer, the cell cutting, and the set's size and seed."""
    digest = hashlib.sha256(f"{rows}:{seed}".encode())
    for module in (__file__, mrz_cells.__file__):
        digest.update(Path(module).read_bytes())
    return digest.hexdigest()[:16]


def is_current(path: Path = MODEL_PATH) -> bool:
    if not path.exists():
        return False
    with np.load(path) as data:
        return "stamp" in data and str(data["stamp"]) == source_stamp()


def train(path: Path = MODEL_PATH, rows: int = 3000, seed: int = SEED) -> dict[str, float]:
    """Render, fit, measure on rows it did not see, and save to `path`."""
    started = time.perf_counter()
    x, y = training_set(rows, seed)
    classifier = fit(x, y, seed)
    test_x, test_y = training_set(max(100, rows // 10), seed + 1)
    accuracy = float((classifier.probabilities(test_x).argmax(axis=1) == test_y).mean())
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        path, w1=classifier.w1, b1=classifier.b1, w2=classifier.w2, b2=classifier.b2, stamp=source_stamp(rows, seed)
    )
    return {"cells": float(len(x)), "held_out_accuracy": accuracy, "seconds": time.perf_counter() - started}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Train the MRZ cell classifier on OCR-B renders.")
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument(
        "--if-stale", action="store_true", help="do nothing when the model exists and was trained by this code"
    )
    args = parser.parse_args(argv)
    if args.if_stale and is_current(args.out):
        return 0
    stats = train(args.out, args.rows)
    print(
        f"MRZ cell classifier: {int(stats['cells'])} cells, held-out accuracy {stats['held_out_accuracy']:.3f}, "
        f"{stats['seconds']:.0f} s -> {args.out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
