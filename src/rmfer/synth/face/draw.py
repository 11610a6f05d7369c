"""The drawing primitives every facial part uses: colours, filled polygons, lines, ellipses.

Coordinates are pixels as floats; cv2 gets them in fixed point (`_SHIFT` fractional bits) so
small features keep sub-pixel accuracy.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

_SHIFT = 2  # fixed-point bits for cv2 polygon coordinates (sub-pixel accuracy)
_FP = float(1 << _SHIFT)

Colour = tuple[float, ...]  # an opaque RGBA cv2 colour, or a 1-tuple for the shade layers


def colour(rgb: Sequence[float], f: float = 1.0, add: float = 0.0) -> Colour:
    """An opaque cv2 colour; plain Python because numpy is slow on three numbers."""
    return (
        min(255.0, max(1.0, rgb[0] * f + add)),
        min(255.0, max(1.0, rgb[1] * f + add)),
        min(255.0, max(1.0, rgb[2] * f + add)),
        255.0,
    )


def lerp(a: Sequence[float], b: Sequence[float], t: float) -> tuple[float, float, float]:
    return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t)


def poly(img: np.ndarray, pts: np.ndarray, color: Colour) -> None:
    cv2.fillPoly(img, [(pts * _FP).astype(np.int32)], color, cv2.LINE_8, _SHIFT)


def line(
    img: np.ndarray, pts: np.ndarray, color: Colour, thick: float, closed: bool = False
) -> None:
    cv2.polylines(
        img,
        [(pts * _FP).astype(np.int32)],
        closed,
        color,
        max(1, int(thick + 0.5)),
        cv2.LINE_8,
        _SHIFT,
    )


def ellipse(
    img: np.ndarray, c: Sequence[float], ax: float, ay: float, color: Colour, angle: float = 0.0
) -> None:
    cv2.ellipse(
        img,
        (int(c[0] * _FP), int(c[1] * _FP)),
        (max(1, int(ax * _FP)), max(1, int(ay * _FP))),
        angle,
        0.0,
        360.0,
        color,
        -1,
        cv2.LINE_8,
        _SHIFT,
    )
