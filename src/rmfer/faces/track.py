"""Online association of detections into tracks across sampled frames, and scene cuts.

A track is a run of one face between cuts: detections join the track whose last box they
overlap most (Hungarian assignment on IoU), a track survives a few frames without a detection,
and every track ends at a cut, because after a cut (or a mashup's layout change) the same place
on screen may hold someone else. Joining tracks into persons is `identity`'s job.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
from scipy.optimize import linear_sum_assignment


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise IoU of boxes (N, 4) and (M, 4), x1 y1 x2 y2."""
    a = np.asarray(a, np.float64).reshape(-1, 4)
    b = np.asarray(b, np.float64).reshape(-1, 4)
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2])
    y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-9), 0.0)


def match_boxes(a: np.ndarray, b: np.ndarray, min_iou: float) -> list[tuple[int, int]]:
    """The one-to-one pairing of greatest total IoU; pairs below `min_iou` are left out."""
    if len(a) == 0 or len(b) == 0:
        return []
    iou = iou_matrix(a, b)
    rows, cols = linear_sum_assignment(-iou)
    return [(int(r), int(c)) for r, c in zip(rows, cols, strict=True) if iou[r, c] >= min_iou]


@dataclass
class _Live:
    track_id: int
    box: np.ndarray
    last_step: int


@dataclass
class IouTracker:
    """Assigns a track id to each detection of each sampled frame, online."""

    min_iou: float = 0.3
    max_gap: int = 3  # sampled frames a track may miss and still continue
    _live: list[_Live] = field(default_factory=list)
    _next_id: int = 0
    _step: int = -1

    def update(self, boxes: np.ndarray) -> np.ndarray:
        """Track ids (K,) for this frame's boxes (K, 4); call once per sampled frame, in order."""
        self._step += 1
        self._live = [t for t in self._live if self._step - t.last_step <= self.max_gap + 1]
        boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
        ids = np.full(len(boxes), -1, dtype=np.int64)
        known = np.array([t.box for t in self._live]).reshape(-1, 4)
        for r, c in match_boxes(known, boxes, self.min_iou):
            live = self._live[r]
            live.box, live.last_step = boxes[c], self._step
            ids[c] = live.track_id
        for c in np.flatnonzero(ids < 0):
            ids[c] = self._next_id
            self._live.append(_Live(self._next_id, boxes[c], self._step))
            self._next_id += 1
        return ids

    def cut(self) -> None:
        """End every track: after a scene cut or layout change nothing continues."""
        self._live = []


@dataclass
class CutDetector:
    """A cut (or a mashup's layout change) is a frame that differs from the previous sampled
    frame over most of its area. A cut inside one tile of a mashup (the film playing beside the
    reactors) changes a small part and is not one: the reactors did not move."""

    cell_threshold: float = 30.0  # a cell's mean colour change (largest channel) that counts
    min_changed: float = 0.5  # fraction of cells that must change
    grid: tuple[int, int] = (16, 9)  # thumbnail cells (width, height)
    _previous: np.ndarray | None = None

    def is_cut(self, image: np.ndarray) -> bool:
        # Cell means of 8 x 8 pixels sampled evenly over each cell: nearest-pixel sampling is
        # a quarter of the cost of a strided view, which cv2 copies before it resizes.
        width, height = self.grid
        samples = cv2.resize(image, (8 * width, 8 * height), interpolation=cv2.INTER_NEAREST)
        thumb = cv2.resize(samples, self.grid, interpolation=cv2.INTER_AREA).astype(np.float32)
        previous, self._previous = self._previous, thumb
        if previous is None:
            return False
        changed = np.abs(thumb - previous).max(axis=-1) > self.cell_threshold
        return bool(changed.mean() >= self.min_changed)
