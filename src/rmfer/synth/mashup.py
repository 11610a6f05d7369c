"""Reaction mashup videos: reactors tiled in a grid, following one film, with a ground truth.

The ground-truth sidecar (one row per frame and visible reactor) exists to *measure* the face
tracker and the ACL mining; no training code may read it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np
import pandas as pd

from rmfer.labels import CANONICAL_LABELS
from rmfer.synth.expressions import AU_NAMES, mixture_to_aus
from rmfer.synth.face import Lighting, Pose, add_sensor_noise, composite, render_face
from rmfer.synth.film import Film
from rmfer.synth.reactor import Reactor

MIXTURE_COLUMNS = tuple(f"p_{name.lower()}" for name in CANONICAL_LABELS)
_GRIDS = ((1, 2), (2, 2), (1, 3), (1, 4), (2, 3), (3, 2), (2, 4), (3, 3))
_LIPS_PART = AU_NAMES.index("lips_part")


def grids_for(reactors: int) -> list[tuple[int, int]]:
    """Grids that hold `reactors` tiles with less than one empty row."""
    return [(r, c) for r, c in _GRIDS if r * c >= reactors and r * c - reactors < c]


@dataclass(frozen=True)
class Layout:
    """A grid, the tile each reactor sits in, and the border between tiles."""

    rows: int
    cols: int
    tiles: tuple[int, ...]  # tiles[k] = tile index of reactor k
    border: int

    def tile_rect(self, tile: int, width: int, height: int) -> tuple[int, int, int, int]:
        """(x, y, w, h) of a tile inside the frame, borders excluded."""
        row, col = divmod(tile, self.cols)
        x0, x1 = round(col * width / self.cols), round((col + 1) * width / self.cols)
        y0, y1 = round(row * height / self.rows), round((row + 1) * height / self.rows)
        b = self.border
        return x0 + b, y0 + b, x1 - x0 - 2 * b, y1 - y0 - 2 * b


def sample_layout(rng: np.random.Generator, reactors: int) -> Layout:
    grids = grids_for(reactors)
    rows, cols = grids[int(rng.integers(len(grids)))]
    tiles = tuple(int(t) for t in rng.permutation(rows * cols)[:reactors])
    return Layout(rows, cols, tiles, border=int(rng.integers(0, 5)))


@dataclass(frozen=True)
class MashupPlan:
    """Everything needed to render one video, deterministically."""

    video_id: str
    film: Film
    reactors: tuple[Reactor, ...]
    layouts: tuple[Layout, ...]
    layout_starts: tuple[float, ...]  # seconds at which each layout begins
    lightings: tuple[Lighting, ...]
    border_colour: tuple[int, int, int]
    seed: int
    duration_s: float
    fps: int
    width: int
    height: int
    crf: int

    def layout_at(self, time_s: float) -> int:
        return int(np.searchsorted(self.layout_starts, time_s, side="right")) - 1

    def to_dict(self) -> dict:
        return {
            "video_id": self.video_id,
            "film": self.film.to_dict(),
            "reactors": [r.to_dict() for r in self.reactors],
            "layouts": [layout.__dict__ for layout in self.layouts],
            "layout_starts": list(self.layout_starts),
            "seed": self.seed,
            "duration_s": self.duration_s,
            "fps": self.fps,
            "size": [self.width, self.height],
        }


def render_frames(
    plan: MashupPlan, backgrounds: list[np.ndarray]
) -> Iterator[tuple[np.ndarray, list[dict]]]:
    """Yield each frame (RGB) with its ground-truth rows, one per reactor."""
    rng = np.random.default_rng(plan.seed)
    frame_count = round(plan.duration_s * plan.fps)
    tile_backgrounds: dict[tuple[int, int], np.ndarray] = {}
    for frame_idx in range(frame_count):
        time_s = frame_idx / plan.fps
        layout_idx = plan.layout_at(time_s)
        layout = plan.layouts[layout_idx]
        frame = np.empty((plan.height, plan.width, 3), np.uint8)
        frame[:] = plan.border_colour
        rows = []
        for k, reactor in enumerate(plan.reactors):
            x, y, w, h = layout.tile_rect(layout.tiles[k], plan.width, plan.height)
            key = (k, layout_idx)
            if key not in tile_backgrounds:
                tile_backgrounds[key] = cv2.resize(backgrounds[k], (w, h), cv2.INTER_AREA)
            tile = tile_backgrounds[key].copy()
            state = reactor.state_at(plan.film, time_s)
            aus = mixture_to_aus(state.mixture, 1.0)
            aus[_LIPS_PART] = max(aus[_LIPS_PART], state.lips_part)
            size = min(h, int(w * 0.95))
            face = render_face(
                reactor.identity,
                aus,
                size,
                pose=Pose(yaw=state.yaw, pitch=state.pitch, roll=state.roll),
                lighting=plan.lightings[k],
                occlusion=state.occlusion,
            )
            fx = round((w - size) / 2 + state.dx * size)
            fy = round(h - size + abs(state.dy) * size)
            box, landmarks = composite(tile, face, fx, fy)
            frame[y : y + h, x : x + w] = tile
            box = np.clip(box + [x, y, x, y], [x, y, x, y], [x + w, y + h, x + w, y + h])
            landmarks = landmarks + [x, y]
            row = {
                "video_id": plan.video_id,
                "frame_idx": frame_idx,
                "time_s": round(time_s, 6),
                "layout": layout_idx,
                "tile": layout.tiles[k],
                "person_id": reactor.person_id,
                "x1": box[0],
                "y1": box[1],
                "x2": box[2],
                "y2": box[3],
            }
            for i, (lx, ly) in enumerate(landmarks):
                row[f"lm{i}_x"], row[f"lm{i}_y"] = float(lx), float(ly)
            row.update(zip(MIXTURE_COLUMNS, state.mixture.round(5).tolist(), strict=True))
            row["dominant"] = int(np.argmax(state.mixture))
            row["looking_away"] = state.looking_away
            row["occluded"] = state.occlusion is not None
            row["talking"] = state.lips_part > 0
            rows.append(row)
        yield add_sensor_noise(frame, rng, sigma=2.0), rows


def sidecar_frame(rows: list[dict]) -> pd.DataFrame:
    """The ground truth as a table with stable dtypes."""
    table = pd.DataFrame(rows)
    for column in ("x1", "y1", "x2", "y2"):
        table[column] = table[column].astype("float32")
    return table
