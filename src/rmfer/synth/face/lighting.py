"""Where the light comes from, and the soft Lambertian shading it gives a round head."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rmfer.synth.face.geometry import Projector


@dataclass(frozen=True)
class Lighting:
    """Where light comes from (degrees; 0 = image right, 90 = above), shading contrast, gain."""

    direction: float = 90.0
    strength: float = 0.5
    brightness: float = 1.0


def sample_lighting(rng: np.random.Generator) -> Lighting:
    """Mostly from above, sometimes from a side, as indoor webcam light tends to be."""
    return Lighting(
        direction=float(rng.normal(90.0, 50.0)),
        strength=float(rng.uniform(0.15, 0.8)),
        brightness=float(rng.uniform(0.75, 1.15)),
    )


_GRID_CACHE: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def _grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    if size not in _GRID_CACHE:
        yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) + 0.5
        _GRID_CACHE[size] = (xx, yy)
    return _GRID_CACHE[size]


def lighting_field(size: int, proj: Projector, ratio: float, light: Lighting) -> np.ndarray:
    """Lambertian shading of an ellipsoidal head: gives the face its 3-D roundness."""
    xx, yy = _grid(size)
    cx, cy = proj.pt(0.0, 0.05, 0.3)
    rx = proj.unit * (ratio + 0.12)
    ry = proj.unit * 1.12
    nx = (xx - cx) * (1.0 / rx)
    ny = (yy - cy) * (1.0 / ry)
    r2 = np.minimum(nx * nx + ny * ny, 0.97)
    nz = np.sqrt(1.0 - r2)
    ang = math.radians(light.direction)
    elev = math.radians(15.0 + 55.0 * min(1.0, max(0.0, light.strength)))
    lx, ly, lz = math.cos(ang) * math.sin(elev), -math.sin(ang) * math.sin(elev), math.cos(elev)
    amb = 0.45
    k = (1.0 - amb) / (amb + (1.0 - amb) * lz) * 0.96 * light.brightness
    lam = np.maximum(nx * lx + ny * ly + nz * lz, 0.0)
    return (lam * k + amb / (amb + (1.0 - amb) * lz) * 0.96 * light.brightness).astype(np.float32)
