"""Box ordering and line cropping shared by every engine backend."""

from __future__ import annotations

import cv2
import numpy as np


def sort_boxes(boxes: np.ndarray) -> list[np.ndarray]:
    """Reading order: top to bottom, and left to right within a row.

    Two boxes are on one row when their vertical centres are closer than half
    the smaller box height.
    """
    items = sorted((np.asarray(b, dtype=np.float32) for b in boxes), key=lambda b: (b[:, 1].mean(), b[:, 0].min()))
    rows: list[list[np.ndarray]] = []
    for box in items:
        centre = box[:, 1].mean()
        height = box[:, 1].max() - box[:, 1].min()
        if rows:
            ref = rows[-1][0]
            ref_centre = ref[:, 1].mean()
            ref_height = ref[:, 1].max() - ref[:, 1].min()
            if abs(centre - ref_centre) < 0.5 * min(height, ref_height):
                rows[-1].append(box)
                continue
        rows.append([box])
    return [box for row in rows for box in sorted(row, key=lambda b: b[:, 0].min())]


def crop_quad(image: np.ndarray, box: np.ndarray) -> np.ndarray:
    """The quadrilateral `box` (tl, tr, br, bl) warped to an upright rectangle.

    Tall narrow crops (vertical text) are turned to horizontal.
    """
    pts = np.asarray(box, dtype=np.float32)
    width = int(max(np.linalg.norm(pts[0] - pts[1]), np.linalg.norm(pts[2] - pts[3])))
    height = int(max(np.linalg.norm(pts[0] - pts[3]), np.linalg.norm(pts[1] - pts[2])))
    width, height = max(width, 1), max(height, 1)
    target = np.float32([[0, 0], [width, 0], [width, height], [0, height]])
    matrix = cv2.getPerspectiveTransform(pts, target)
    crop = cv2.warpPerspective(image, matrix, (width, height), borderMode=cv2.BORDER_REPLICATE, flags=cv2.INTER_CUBIC)
    if height / width >= 1.5:
        crop = np.rot90(crop)
    return np.ascontiguousarray(crop)


def scale_for_detection(image: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    """The image shrunk so its longer side is at most `max_side`, and the factor used."""
    longest = max(image.shape[:2])
    if longest <= max_side:
        return image, 1.0
    factor = max_side / longest
    small = cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    return small, factor
