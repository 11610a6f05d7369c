"""Where things are on a face before anything is drawn: face units, head pose, the oval.

Geometry lives in "face units": origin at the centre of the face oval, y down, the oval runs from
y=-1 (top of the forehead) to y=+1 (chin). Every feature point has a depth z so a small head
pose is a rigid rotation followed by an orthographic projection.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

BOX_TOP = -0.75  # face-unit y of the box top: upper forehead, as RetinaFace boxes it
Z_CONTOUR = 0.3  # depth of the face oval's outline
_UNIT = 0.34  # face unit in output pixels per pixel of `size`
_CENTER_Y = 0.43  # oval centre, fraction of `size` from the top

# Parameter along lids, lips and brows: -1 .. 1 (for the eyes: inner .. outer corner).
U = np.linspace(-1.0, 1.0, 15)
U_ABS = np.abs(U)
U2 = 1.0 - U**2
FLIP = np.array([-1.0, 1.0])  # mirrors x: the other side of the face


@dataclass(frozen=True)
class Pose:
    """Small head rotation in degrees (yaw > 0 turns the face to the image's right)."""

    yaw: float = 0.0
    pitch: float = 0.0
    roll: float = 0.0


class Projector:
    """Face units (x, y, depth z) -> pixels: yaw, pitch, roll, then orthographic projection.

    All three rotations and the projection compose into one affine map, so projecting a curve is
    a single matrix product (this is what keeps a face at a few milliseconds).
    """

    def __init__(self, size_px: float, pose: Pose) -> None:
        unit = _UNIT * size_px
        self.unit = unit
        self.cx = 0.5 * size_px
        self.cy = _CENTER_Y * size_px
        yaw, pitch, roll = (math.radians(v) for v in (pose.yaw, pose.pitch, pose.roll))
        cyw, syw = math.cos(yaw), math.sin(yaw)
        cp, sp = math.cos(pitch), math.sin(pitch)
        cr, sr = math.cos(roll), math.sin(roll)
        self.cyaw, self.syaw = cyw, syw
        self.roll_deg = pose.roll
        pv = 1.05  # roll pivots about the neck, below the chin
        ax = (cyw * cr - syw * sp * sr, -cp * sr, syw * cr + cyw * sp * sr, pv * sr)
        ay = (cyw * sr + syw * sp * cr, cp * cr, syw * sr - cyw * sp * cr, pv * (1.0 - cr))
        self.ax = (ax[0] * unit, ax[1] * unit, ax[2] * unit, self.cx + unit * ax[3])
        self.ay = (ay[0] * unit, ay[1] * unit, ay[2] * unit, self.cy + unit * ay[3])
        self.m = np.array([[self.ax[0], self.ay[0]], [self.ax[1], self.ay[1]]])
        self.mz = np.array([self.ax[2], self.ay[2]])
        self.off = np.array([self.ax[3], self.ay[3]])
        self.body_off = np.array([self.cx, self.cy])

    def __call__(self, pts: np.ndarray, z) -> np.ndarray:
        """Project (N, 2) points at depth z (scalar or (N,))."""
        if isinstance(z, float):
            return pts @ self.m + (self.off + z * self.mz)
        return pts @ self.m + np.multiply.outer(z, self.mz) + self.off

    def pt(self, x: float, y: float, z: float) -> tuple[float, float]:
        ax, ay = self.ax, self.ay
        return (
            ax[0] * x + ax[1] * y + ax[2] * z + ax[3],
            ay[0] * x + ay[1] * y + ay[2] * z + ay[3],
        )

    def body(self, pts: np.ndarray) -> np.ndarray:
        """The torso does not turn with the head."""
        return pts * self.unit + self.body_off


def surface_depth(x: float, y: float, zk: float) -> float:
    """Depth of the face surface: a rounded front, receding towards the sides.

    `zk` is 1 / (half-width of the rounded front); see `FaceContext.zk`.
    """
    xn = min(1.0, abs(x) * zk)
    return 0.3 + 0.45 * math.sqrt(1.0 - xn * xn) * (1.0 - 0.12 * y * y)


def surface_depths(pts: np.ndarray, zk: float) -> np.ndarray:
    """`surface_depth` of (N, 2) points at once."""
    xn = np.minimum(np.abs(pts[:, 0]) * zk, 1.0)
    return 0.3 + 0.45 * np.sqrt(1.0 - xn * xn) * (1.0 - 0.12 * pts[:, 1] ** 2)


def chaikin(pts: np.ndarray, iterations: int = 2) -> np.ndarray:
    """Corner-cutting on a closed polygon: a smooth outline from a few control points."""
    for _ in range(iterations):
        nxt = np.roll(pts, -1, axis=0)
        pts = np.stack([0.75 * pts + 0.25 * nxt, 0.25 * pts + 0.75 * nxt], axis=1).reshape(-1, 2)
    return pts


def face_contour(ratio: float, jaw: float, chin_drop: float) -> np.ndarray:
    """Forehead, cheekbones, jaw angle and chin; the lower face stretches when the jaw drops."""
    g = 0.68 + 0.18 * jaw  # jaw angle half-width, in units of the cheek half-width
    c = 0.28 + 0.14 * jaw  # chin half-width
    half = np.array(
        [
            [0.0, -1.0],
            [0.55, -0.86],
            [0.88, -0.56],
            [0.99, -0.22],
            [1.0, 0.05],
            [0.95, 0.36],
            [g, 0.7],
            [c, 0.94],
            [0.0, 1.0],
        ]
    )
    half[:, 0] *= ratio
    pts = np.concatenate([half, half[-2:0:-1] * np.array([-1.0, 1.0])])
    low = pts[:, 1] > 0.45
    pts[low, 1] = 0.45 + (pts[low, 1] - 0.45) * (1.0 + chin_drop / 0.55)
    return chaikin(pts, 2)


def face_box(contour: np.ndarray, proj: Projector, z: float) -> np.ndarray:
    """Upper forehead to chin, cheek to cheek: the part of the oval below the box's top line."""
    keep = contour[contour[:, 1] >= BOX_TOP]
    xw = float(np.interp(BOX_TOP, *_top_width(contour)))
    pts = np.concatenate([keep, [[-xw, BOX_TOP], [xw, BOX_TOP]]])
    pts[:, 0] *= 0.97  # detectors box the cheeks slightly inside the silhouette
    px = proj(pts, z)
    return np.array([px[:, 0].min(), px[:, 1].min(), px[:, 0].max(), px[:, 1].max()])


def _top_width(contour: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Half-width of the oval as a function of y over its upper half (y increasing)."""
    right = contour[(contour[:, 0] >= 0) & (contour[:, 1] <= 0.0)]
    order = np.argsort(right[:, 1])
    return right[order, 1], right[order, 0]
