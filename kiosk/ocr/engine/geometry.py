"""Box ordering and line cropping shared by every engine backend."""

from __future__ import annotations

import cv2
import numpy as np


def group_rows(boxes: list[np.ndarray]) -> list[list[int]]:
    """Indices of `boxes` grouped into rows, top to bottom, each row left to right.

    Two boxes share a row when their vertical centres are closer than half
    the smaller box height and they do not lie over each other: on a tilted
    page two long lines close together (an MRZ) have boxes taller than
    the distance between them.
    """
    boxes = [np.asarray(b, dtype=np.float32) for b in boxes]
    order = sorted(range(len(boxes)), key=lambda i: (boxes[i][:, 1].mean(), boxes[i][:, 0].min()))
    rows: list[list[int]] = []
    for i in order:
        box = boxes[i]
        height = box[:, 1].max() - box[:, 1].min()
        if rows:
            ref = boxes[rows[-1][0]]
            ref_height = ref[:, 1].max() - ref[:, 1].min()
            near = abs(box[:, 1].mean() - ref[:, 1].mean()) < 0.5 * min(height, ref_height)
            if near and not any(_overlap_x(box, boxes[j]) for j in rows[-1]):
                rows[-1].append(i)
                continue
        rows.append([i])
    return [sorted(row, key=lambda i: boxes[i][:, 0].min()) for row in rows]


def _overlap_x(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two boxes share more than half of the narrower one's horizontal extent."""
    shared = min(a[:, 0].max(), b[:, 0].max()) - max(a[:, 0].min(), b[:, 0].min())
    narrower = min(a[:, 0].max() - a[:, 0].min(), b[:, 0].max() - b[:, 0].min())
    return shared > 0.5 * narrower


def sort_boxes(boxes: np.ndarray) -> list[np.ndarray]:
    """Boxes in reading order: top to bottom, left to right within a row."""
    boxes = [np.asarray(b, dtype=np.float32) for b in boxes]
    return [boxes[i] for row in group_rows(boxes) for i in row]


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
