"""The head itself: ears, the face oval, forehead lines and the skin's sheen."""

from __future__ import annotations

import math

import numpy as np

from rmfer.synth.face.context import FaceContext
from rmfer.synth.face.draw import colour, ellipse, line, poly
from rmfer.synth.face.geometry import Z_CONTOUR
from rmfer.synth.face.nose import Z_TIP, Nose

_FOREHEAD_X = np.linspace(-0.32, 0.32, 9)


def draw_ears(ctx: FaceContext) -> None:
    """Two ears behind the oval, tilted a little outwards."""
    proj, u = ctx.proj, ctx.proj.unit
    ear_in = colour(ctx.identity.skin, 0.72)
    for s in (-1.0, 1.0):
        ec = proj.pt(s * (ctx.ratio + 0.02), 0.05, -0.12)
        ellipse(ctx.canvas, ec, 0.1 * u, 0.22 * u, ctx.skin_c, proj.roll_deg + s * 8.0)
        ellipse(
            ctx.canvas,
            (ec[0] + s * 0.015 * u, ec[1]),
            0.045 * u,
            0.14 * u,
            ear_in,
            proj.roll_deg + s * 8.0,
        )


def draw_oval(ctx: FaceContext) -> None:
    """The face itself: the skin-coloured oval every feature sits on."""
    poly(ctx.canvas, ctx.proj(ctx.contour, Z_CONTOUR), ctx.skin_c)


def draw_forehead_lines(ctx: FaceContext) -> None:
    """Horizontal lines from raised brows and from age (the top one hides under a fringe)."""
    forehead = 0.6 * max(0.0, ctx.au["brow_raise"] - 0.2) + 0.5 * ctx.identity.age
    if forehead > 0.15:
        val = (-0.16 * min(1.0, forehead),)
        for k, yy in enumerate((-0.52, -0.59, -0.66)):
            if yy < -0.6 and ctx.identity.hair_style == "fringe":
                continue
            ys = yy + 0.03 * (_FOREHEAD_X / 0.32) ** 2 - 0.01 * k
            pts = ctx.sproj(np.stack([_FOREHEAD_X, ys], -1), 0.7)
            line(ctx.shade, pts, val, 0.022 * ctx.sproj.unit)


def draw_sheen(ctx: FaceContext, nose: Nose) -> None:
    """Highlights towards the light on forehead, nose, cheeks and chin.

    They make dark skin read as 3-D.
    """
    sproj, spec, su, surf_z = ctx.sproj, ctx.spec, ctx.sproj.unit, ctx.surf_z
    tip_y = nose.tip_y
    cos_l = math.cos(math.radians(ctx.light.direction))
    ldx = 0.07 * cos_l
    ldy = -0.07 * math.sin(math.radians(ctx.light.direction))
    ellipse(spec, sproj.pt(ldx, -0.55 + ldy, surf_z(ldx, -0.55)), 0.2 * su, 0.09 * su, (0.45,))
    line(
        spec,
        sproj(np.array([[ldx * 0.4, -0.14], [ldx * 0.4, tip_y - 0.07]]), 0.9),
        (0.55,),
        0.035 * su,
    )
    ellipse(spec, sproj.pt(ldx * 0.3, tip_y - 0.03, Z_TIP), 0.045 * su, 0.035 * su, (0.9,))
    for s in (-1.0, 1.0):
        x = s * 0.42 + ldx
        y = 0.04 + ldy - 0.04 * ctx.au["cheek_raise"]
        gain = (0.35 * (1.0 + 0.6 * s * cos_l),)
        ellipse(spec, sproj.pt(x, y, surf_z(x, y)), 0.11 * su, 0.06 * su, gain)
    ellipse(spec, sproj.pt(ldx * 0.5, 0.9 + ctx.chin_drop, 0.55), 0.1 * su, 0.045 * su, (0.35,))
