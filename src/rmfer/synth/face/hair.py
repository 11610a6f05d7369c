"""Hair: the mass behind the head, and the cap, hairline and strands in front of it."""

from __future__ import annotations

import math

import numpy as np

from rmfer.synth.face.context import FaceContext
from rmfer.synth.face.draw import colour, ellipse, line, poly
from rmfer.synth.face.geometry import FLIP

# The cap's outer edge (a half ellipse over the head) and the strands drawn on it.
_HAIR_T = np.linspace(math.pi, 2.0 * math.pi, 17)
_HAIR_COS, _HAIR_SIN = np.cos(_HAIR_T), np.sin(_HAIR_T)
_STRAND_T = np.linspace(1.2 * math.pi, 1.8 * math.pi, 9)
_STRAND = np.stack([np.cos(_STRAND_T), np.sin(_STRAND_T)], -1)
# The hairline, from the right temple to the left, and its wave for the fringe and curls.
_HL_X = np.linspace(1.0, -1.0, 13)
_FRINGE = 0.05 * np.cos(np.linspace(0.0, 6.0 * math.pi, 13)) ** 2
_CURL = 0.04 * np.cos(np.linspace(0.0, 7.0 * math.pi, 13))


def draw_back_hair(ctx: FaceContext) -> None:
    """Long hair falling behind the shoulders, and the back of the head."""
    proj, ratio, style = ctx.proj, ctx.ratio, ctx.identity.hair_style
    if style == "long":
        back = np.array([[0.16, -0.3], [0.22, 0.5], [0.2, 1.35], [-0.15, 1.45]])
        back[:, 0] += ratio
        poly(ctx.canvas, proj(np.concatenate([back * FLIP, back[::-1]]), -0.1), ctx.hair_c)
    if style != "bald":
        centre = proj.pt(0.0, -0.18, -0.05)
        ellipse(ctx.canvas, centre, (ratio + 0.1) * proj.unit, proj.unit, ctx.hair_c, proj.roll_deg)


def draw_front_hair(ctx: FaceContext) -> None:
    """The hair over the forehead in the identity's style (bald: a horseshoe at the sides)."""
    if ctx.identity.hair_style == "bald":
        _draw_bald(ctx)
    else:
        _draw_cap(ctx)


def _hairline(style: str, ratio: float) -> np.ndarray:
    """Where the hair meets the forehead, face units, from the right temple to the left."""
    if style == "fringe":
        hx = (ratio + 0.04) * _HL_X
        hy = -0.46 - _FRINGE
        hy[[0, -1]] = 0.0
    elif style == "curly":
        hx = (ratio + 0.03) * _HL_X
        hy = -0.66 + 0.18 * _HL_X**2 + _CURL
        hy[[0, -1]] = -0.05
    else:  # short, long
        hx = (ratio + 0.02) * _HL_X
        hy = -0.72 + 0.32 * _HL_X**4
        hy[[0, -1]] = -0.12
        if style == "long":
            hy[5:8] -= 0.05  # centre parting
    return np.stack([hx, hy], axis=-1)


def _draw_cap(ctx: FaceContext) -> None:
    proj, sproj, canvas = ctx.proj, ctx.sproj, ctx.canvas
    u, su, ratio, style = proj.unit, sproj.unit, ctx.ratio, ctx.identity.hair_style
    outer = np.stack([(ratio + 0.12) * _HAIR_COS, -0.18 + 1.02 * _HAIR_SIN], axis=-1)
    hairline = _hairline(style, ratio)
    poly(
        canvas,
        np.concatenate([proj(outer, 0.0), proj(hairline, ctx.surf_zv(hairline) * 0.6)]),
        ctx.hair_c,
    )
    if style == "curly":
        for x, y in zip((ratio + 0.1) * _HAIR_COS[::2], -0.18 + _HAIR_SIN[::2], strict=True):
            ellipse(canvas, proj.pt(x, y, 0.0), 0.16 * u, 0.16 * u, ctx.hair_c)
    strand_c = colour(ctx.identity.hair_color, 0.72)
    for k in (0.93, 0.8):
        strand = _STRAND * np.array([(ratio + 0.12) * k, 1.02 * k]) + np.array([0.0, -0.18])
        line(canvas, proj(strand, 0.2), strand_c, 0.02 * u)
    poly(ctx.shade, sproj(hairline + np.array([0.0, -0.06]), 0.2), (-0.08,))
    ellipse(ctx.spec, sproj.pt(0.0, -0.95, 0.4), 0.35 * su, 0.08 * su, (0.4,))


def _draw_bald(ctx: FaceContext) -> None:
    ratio = ctx.ratio
    for s in (-1.0, 1.0):
        side_hair = np.array(
            [
                [s * ratio * 0.93, -0.46],
                [s * (ratio + 0.06), -0.5],
                [s * (ratio + 0.06), -0.08],
                [s * (ratio + 0.01), -0.04],
                [s * ratio * 0.97, -0.28],
            ]
        )
        poly(ctx.canvas, ctx.proj(side_hair, 0.2), ctx.hair_c)
    su = ctx.sproj.unit
    ellipse(ctx.spec, ctx.sproj.pt(0.0, -0.7, 0.5), 0.3 * su, 0.12 * su, (0.5,))
