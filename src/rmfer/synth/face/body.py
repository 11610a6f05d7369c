"""Below and in front of the face: neck, shoulders and shirt, and a hand over the mouth."""

from __future__ import annotations

import numpy as np

from rmfer.synth.face.context import FaceContext
from rmfer.synth.face.draw import colour, ellipse, lerp, line, poly
from rmfer.synth.face.geometry import FLIP


def draw_body(ctx: FaceContext) -> None:
    """Shoulders, shirt and neck; the torso stays put while the head turns."""
    ident, proj, sproj = ctx.identity, ctx.proj, ctx.sproj
    canvas, shade = ctx.canvas, ctx.shade
    u, su = proj.unit, sproj.unit
    skin, shirt = ident.skin, ident.shirt_color
    neck_w = 0.36 + 0.1 * ident.jaw_width
    nb = neck_w * 1.05
    neck = np.array([[-neck_w, 0.45], [neck_w, 0.45], [nb, 1.45], [-nb, 1.45]])
    neck_px = proj(neck, 0.0)
    neck_px[2:] = proj.body(neck[2:])  # the neck base stays on the torso
    poly(canvas, neck_px, colour(skin, 0.9))
    shoulders = np.array(
        [
            [-neck_w, 1.22],
            [-0.9, 1.42],
            [-1.55, 1.62],
            [-1.9, 2.2],
            [-2.2, 3.5],
            [2.2, 3.5],
            [1.9, 2.2],
            [1.55, 1.62],
            [0.9, 1.42],
            [neck_w, 1.22],
        ]
    )
    poly(canvas, proj.body(shoulders), colour(shirt))
    nc = neck_w * 1.1
    collar = proj.body(np.array([[-nc, 1.2], [-0.2, 1.52], [0.0, 1.58], [0.2, 1.52], [nc, 1.2]]))
    poly(canvas, collar, colour(skin, 0.86))
    line(canvas, collar, colour(shirt, 0.7), 0.035 * u)
    arm = np.array([[1.9, 1.6], [1.4, 1.55], [1.7, 3.0], [2.2, 3.0]])
    poly(shade, sproj.body(arm), (-0.1,))
    poly(shade, sproj.body(arm * FLIP), (-0.1,))
    under_chin = sproj.pt(0.0, 1.2 + ctx.chin_drop, 0.2)
    ellipse(shade, under_chin, 0.34 * su, 0.11 * su, (-0.16,))


def draw_hand(ctx: FaceContext) -> None:
    """A hand raised over the mouth, arm and sleeve below it.

    An outline pass (darker, thicker) then a fill pass keeps the same-coloured hand readable
    against the face; dark gaps separate the fingers.
    """
    proj, sproj = ctx.proj, ctx.sproj
    canvas, spec = ctx.canvas, ctx.spec
    u, su, k_ss = proj.unit, sproj.unit, ctx.k_ss
    hand = lerp(ctx.identity.skin, (235, 165, 150), 0.12)
    hc, edge = colour(hand, 1.04), colour(hand, 0.68)
    hz = 1.1
    arm = proj(np.array([[-0.24, 0.62], [0.16, 0.62], [0.3, 1.7], [-0.14, 1.7]]), hz)
    sleeve = proj(np.array([[-0.17, 1.45], [0.29, 1.45], [0.42, 2.6], [-0.08, 2.6]]), hz)
    bases = -0.27 + 0.15 * np.arange(4)
    fingers = [
        proj(np.array([[x0, 0.52], [x0 + 0.12 + 0.02 * k, 0.22 - 0.03 * (k % 3)]]), hz)
        for k, x0 in enumerate(bases)
    ]
    palm = proj.pt(0.0, 0.58, hz)
    arm_inner = arm * 0.94 + arm.mean(axis=0) * 0.06
    for color, grow, arm_poly in ((edge, 0.028, arm), (hc, 0.0, arm_inner)):
        poly(canvas, arm_poly, color)
        ellipse(canvas, palm, (0.36 + grow) * u, (0.26 + grow) * u, color, proj.roll_deg)
        for fpx in fingers:
            line(canvas, fpx, color, (0.13 + 2 * grow) * u)
    poly(canvas, sleeve, colour(ctx.identity.shirt_color, 0.9))
    for k, x0 in enumerate(bases[:-1]):
        gap = np.array([[x0 + 0.075, 0.5], [x0 + 0.19 + 0.02 * k, 0.27 - 0.03 * (k % 3)]])
        line(canvas, proj(gap, hz), edge, 0.016 * u)
    for fpx in fingers:  # knuckles and nails catch the light
        ellipse(spec, fpx[0] * k_ss, 0.03 * su, 0.02 * su, (0.5,))
        ellipse(spec, fpx[1] * k_ss, 0.025 * su, 0.02 * su, (0.6,))
