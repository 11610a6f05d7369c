"""The nose: shaded bridge, tip, wings and nostrils, and wrinkles when it is wrinkled."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rmfer.synth.face.context import FaceContext
from rmfer.synth.face.draw import colour, ellipse, line, poly

Z_TIP = 0.98  # depth of the nose tip, the face's nearest point

_Z_BRIDGE = np.array([0.72, 0.88, 0.9, 0.72, 0.75, 0.7])
_Z_ALAR = np.array([0.7, 0.72, 0.74, 0.8])


@dataclass(frozen=True)
class Nose:
    """What the mouth, the folds, the sheen and the landmarks need to know of the nose."""

    tip_y: float  # face units
    wing: float  # half-width of the nostril wings, face units
    tip_px: tuple[float, float]  # the tip on the canvas


def draw_nose(ctx: FaceContext) -> Nose:
    """Bridge shading on the side away from the light, wings, nostrils and bridge wrinkles."""
    proj, sproj, shade = ctx.proj, ctx.sproj, ctx.shade
    u, su = proj.unit, sproj.unit
    ident, nwr = ctx.identity, ctx.au["nose_wrinkle"]
    nw = ident.nose_width
    tip_y = -0.17 + 0.45 * ident.nose_length - 0.02 * nwr
    wing = 0.15 * nw * (1.0 + 0.12 * nwr)
    cos_l = math.cos(math.radians(ctx.light.direction))
    side = 1.0 if cos_l <= 0 else -1.0  # the nose side away from the light
    bridge = np.array(
        [
            [0.045, -0.17],
            [0.05, tip_y - 0.12],
            [0.09, tip_y - 0.01],
            [0.13, tip_y - 0.04],
            [0.08, tip_y - 0.14],
            [0.09, -0.17],
        ]
    )
    poly(shade, sproj(bridge * np.array([side, 1.0]), _Z_BRIDGE), (-0.18,))
    poly(shade, sproj(bridge * np.array([-side, 1.0]), _Z_BRIDGE), (-0.06,))
    ellipse(shade, sproj.pt(0.0, tip_y + 0.075, 0.8), 0.12 * nw * su, 0.04 * su, (-0.22,))
    ellipse(shade, sproj.pt(0.0, tip_y - 0.02, Z_TIP), 0.05 * su, 0.045 * su, (0.16,))
    nose_dark = colour(ident.skin, 0.7)
    nostril_c = colour(ident.skin, 0.35, 8.0)
    for s in (-1.0, 1.0):
        alar = np.array(
            [
                [s * wing * 0.75, tip_y - 0.07],
                [s * wing, tip_y - 0.01],
                [s * wing * 0.95, tip_y + 0.03],
                [s * wing * 0.6, tip_y + 0.05],
            ]
        )
        line(ctx.canvas, proj(alar, _Z_ALAR), nose_dark, 0.02 * u)
        ellipse(
            ctx.canvas,
            proj.pt(s * wing * 0.5, tip_y + 0.045, 0.82),
            0.042 * nw * u * (0.6 + 0.4 * proj.cyaw),
            0.019 * u,
            nostril_c,
            s * 18.0 + proj.roll_deg,
        )
    if nwr > 0.2:  # wrinkles across the bridge
        for k in range(3):
            yy = -0.06 + 0.04 * k
            line(
                shade,
                sproj(np.array([[-0.06, yy + 0.01], [0.0, yy], [0.06, yy + 0.01]]), 0.8),
                (-0.3 * nwr,),
                0.016 * su,
            )
    return Nose(tip_y=tip_y, wing=wing, tip_px=proj.pt(0.0, tip_y, Z_TIP))
