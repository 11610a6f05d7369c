"""Boxes and labels drawn on images and video frames, one colour per person."""

from __future__ import annotations

import cv2
import numpy as np
import pandas as pd

from rmfer.predict.table import probabilities

# tab10's colours as RGB: distinct, and the timeline plot uses the same set for its classes
PALETTE = (
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
)
FONT = cv2.FONT_HERSHEY_SIMPLEX


def person_colour(person_id: int) -> tuple[int, int, int]:
    return PALETTE[person_id % len(PALETTE)]


def draw_faces(image: np.ndarray, rows: pd.DataFrame, labels: tuple[str, ...]) -> np.ndarray:
    """A copy of the RGB `image` with each row's box and `#person Label 87%` above it."""
    out = np.ascontiguousarray(image).copy()
    if not len(rows):
        return out
    height, width = out.shape[:2]
    probs = probabilities(rows, labels)
    thickness = max(1, round(max(height, width) / 500))
    scale = max(0.4, max(height, width) / 1200)
    boxes = np.rint(rows[["x1", "y1", "x2", "y2"]].to_numpy(np.float64)).astype(int).tolist()
    for (x1, y1, x2, y2), person, p in zip(boxes, rows["person_id"].tolist(), probs, strict=True):
        colour = person_colour(int(person))
        top_left = (x1, y1)
        cv2.rectangle(out, top_left, (x2, y2), colour, thickness)
        k = int(p.argmax())
        text = f"#{int(person)} {labels[k]} {p[k]:.0%}"
        (tw, th), base = cv2.getTextSize(text, FONT, scale, 1)
        # above the box, or inside it at the top when the box touches the image's top edge
        ty = top_left[1] - base - 2 if top_left[1] - th - base - 4 >= 0 else top_left[1] + th + 2
        tx = min(max(0, top_left[0]), max(0, width - tw - 2))
        cv2.rectangle(out, (tx, ty - th - 2), (tx + tw + 2, ty + base), colour, cv2.FILLED)
        cv2.putText(out, text, (tx + 1, ty), FONT, scale, (255, 255, 255), 1, cv2.LINE_AA)
    return out
