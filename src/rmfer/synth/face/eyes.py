"""The eye region: eyes (iris behind almond lids, lashes, creases), brows and glasses."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rmfer.synth.face.context import FaceContext
from rmfer.synth.face.draw import Colour, colour, ellipse, lerp, line, poly
from rmfer.synth.face.geometry import U2, U_ABS, U

_LID_UP = U2**0.75 * (1.0 - 0.18 * U)
_LID_LO = U2**0.9 * (1.0 + 0.15 * U)
_Z_EYE = 0.6 - 0.05 * U_ABS
# Along a brow, 0 at the inner end -> 1 at the outer end, and the shapes that depend only on it.
_V = (U + 1.0) / 2.0
_SIN_V = np.sin(math.pi * _V)
_ARCH = np.sin(math.pi * np.clip(_V * 1.15, 0.0, 1.0))
_V15 = _V**1.5
_IV15 = (1.0 - _V) ** 1.5
_BROW_T = 0.052 * (1.0 - _V) + 0.02 * _V + 0.01 * _SIN_V
# A glasses rim: a rounded rectangle around the eye.
_RIM_T = np.linspace(0.0, 2.0 * math.pi, 20, endpoint=False)
_RIM = np.stack(
    [
        0.18 * np.sign(np.cos(_RIM_T)) * np.abs(np.cos(_RIM_T)) ** 0.6,
        0.125 * np.sign(np.sin(_RIM_T)) * np.abs(np.sin(_RIM_T)) ** 0.7,
    ],
    -1,
)
_PUPIL = (12.0, 10.0, 10.0, 255.0)
_GLINT = (245.0, 245.0, 245.0, 255.0)


@dataclass(frozen=True)
class _EyeShape:
    """Both eyes' shape in face units, relative to each eye's centre x."""

    half_width: float
    centre_y: float
    iris_r: float
    upper: np.ndarray  # y of the upper lid along `U`
    lower: np.ndarray  # y of the lower lid along `U`
    age: float  # strength of crow's feet and bags; none at or below 0


@dataclass(frozen=True)
class _EyeColours:
    sclera: Colour
    iris: Colour
    iris_dark: Colour
    lash: Colour
    crease: Colour
    lower_lid: Colour


def draw_eyes(ctx: FaceContext) -> list[tuple[float, float]]:
    """Both eyes, image-left first; returns their centres on the canvas (the landmarks)."""
    shape = _eye_shape(ctx)
    ident = ctx.identity
    colours = _EyeColours(
        sclera=colour(lerp((226, 222, 216), ident.skin, 0.12)),
        iris=colour(ident.eye_color),
        iris_dark=colour(ident.eye_color, 0.55),
        lash=colour(ident.hair_color, 0.4, 10.0),
        crease=colour(ident.skin, 0.8),
        lower_lid=colour(ident.skin, 0.75),
    )
    return [_draw_eye(ctx, s, shape, colours) for s in (-1.0, 1.0)]


def _eye_shape(ctx: FaceContext) -> _EyeShape:
    """Lids open with `lid_raise` and close with `lid_tighten` and a smile's `cheek_raise`."""
    au, es = ctx.au, ctx.identity.eye_size
    up_h = 0.068 * es * (1.0 + 0.6 * au["lid_raise"]) * (1.0 - 0.32 * au["lid_tighten"])
    up_h *= 1.0 - 0.22 * au["cheek_raise"]
    lo_h = 0.048 * es * (1.0 - 0.5 * au["lid_tighten"]) * (1.0 - 0.55 * au["cheek_raise"])
    lo_h *= 1.0 + 0.25 * au["lid_raise"]
    eye_y = -0.17 - 0.01 * au["cheek_raise"]
    return _EyeShape(
        half_width=0.15 * es,
        centre_y=eye_y,
        iris_r=0.064 * es,
        upper=eye_y - up_h * _LID_UP - 0.012 * U,
        lower=eye_y + lo_h * _LID_LO - 0.012 * U,
        age=max(ctx.identity.age - 0.35, au["cheek_raise"] - 0.3),
    )


def _draw_eye(
    ctx: FaceContext, s: float, shape: _EyeShape, colours: _EyeColours
) -> tuple[float, float]:
    """One eye on side `s` (-1 image-left, +1 image-right); returns the iris centre."""
    proj, sproj, canvas = ctx.proj, ctx.sproj, ctx.canvas
    u, su, eye_y = proj.unit, sproj.unit, shape.centre_y
    ex = s * ctx.identity.eye_spacing
    xs = ex + s * shape.half_width * U  # U = -1 at the inner corner, +1 at the outer corner
    up_px = proj(np.stack([xs, shape.upper], -1), _Z_EYE)
    lo_px = proj(np.stack([xs, shape.lower], -1), _Z_EYE)
    ellipse(ctx.shade, sproj.pt(ex - s * 0.02, eye_y - 0.05, 0.6), 0.18 * su, 0.09 * su, (-0.13,))
    ellipse(ctx.shade, sproj.pt(ex - s * 0.15, eye_y - 0.01, 0.55), 0.05 * su, 0.06 * su, (-0.1,))
    poly(canvas, np.concatenate([up_px, lo_px[::-1]]), colours.sclera)
    ic = proj.pt(ex, eye_y - 0.008, 0.62)
    r = shape.iris_r * u
    ellipse(canvas, ic, r * (0.9 + 0.1 * proj.cyaw), r, colours.iris)
    ellipse(canvas, ic, r * 0.62, r * 0.62, colours.iris_dark)
    ellipse(canvas, ic, r * 0.42, r * 0.42, _PUPIL)
    ellipse(canvas, (ic[0] + 0.35 * r, ic[1] - 0.35 * r), 0.014 * u, 0.014 * u, _GLINT)
    _draw_lids(ctx, s, xs, up_px, lo_px, eye_y)
    line(canvas, up_px, colours.lash, 0.026 * u)
    line(canvas, up_px[9:] + np.array([0.0, -0.004 * u]), colours.lash, 0.03 * u)
    crease = np.stack([xs[2:-2], eye_y + (shape.upper[2:-2] - eye_y) * 1.1 - 0.04], -1)
    line(canvas, proj(crease, 0.6), colours.crease, 0.014 * u)
    line(canvas, lo_px[3:], colours.lower_lid, 0.013 * u)
    if shape.age > 0.0:  # crow's feet and eye bags
        val = (-0.25 * min(1.0, shape.age * 1.6),)
        for dy in (-0.03, 0.02, 0.06):
            p0 = np.array(
                [
                    [ex + s * (shape.half_width + 0.03), eye_y + dy],
                    [ex + s * (shape.half_width + 0.1), eye_y + 2 * dy],
                ]
            )
            line(ctx.shade, sproj(p0, 0.45), val, 0.015 * su)
        bag = np.stack([xs[2:-2], shape.lower[2:-2] + 0.06], -1)
        line(ctx.shade, sproj(bag, 0.6), (val[0] * 0.8,), 0.02 * su)
    return ic


def _draw_lids(
    ctx: FaceContext,
    s: float,
    xs: np.ndarray,
    up_px: np.ndarray,
    lo_px: np.ndarray,
    eye_y: float,
) -> None:
    """Skin masks above and below the lid curves clip the iris to the almond."""
    xo, xi = xs[-1], xs[0]
    masks = ctx.proj(
        np.array(
            [
                [xo + s * 0.03, eye_y - 0.02],
                [xo, eye_y - 0.13],
                [xi, eye_y - 0.13],
                [xi - s * 0.02, eye_y - 0.02],
                [xo + s * 0.03, eye_y],
                [xo, eye_y + 0.12],
                [xi, eye_y + 0.12],
                [xi - s * 0.02, eye_y],
            ]
        ),
        0.6,
    )
    poly(ctx.canvas, np.concatenate([up_px, masks[:4]]), ctx.skin_c)
    poly(ctx.canvas, np.concatenate([lo_px, masks[4:]]), ctx.skin_c)


def draw_brows(ctx: FaceContext) -> None:
    """Brows raised (AU1+2) or lowered and drawn together (AU4), with their shadow and frown."""
    au, ident, proj, sproj = ctx.au, ctx.identity, ctx.proj, ctx.sproj
    br, bl = au["brow_raise"], au["brow_lower"]
    inner_dy = -0.10 * br + 0.09 * bl * (1.0 - 0.8 * br)
    mid_dy = -0.10 * br * (1.0 - 0.55 * bl) + 0.05 * bl * (1.0 - br)
    outer_dy = -0.07 * br * (1.0 - 0.85 * bl) + 0.025 * bl
    inner_dx = -0.05 * bl
    by = (
        -0.355
        - 0.05 * (1.0 + 0.6 * br) * _ARCH
        + inner_dy * _IV15
        + 0.8 * mid_dy * _SIN_V
        + outer_dy * _V15
        - 0.01 * au["lid_raise"]
    )
    half_t = 0.5 * _BROW_T * ident.brow_thickness
    brow_c = colour(ident.brow_color)
    for s in (-1.0, 1.0):
        bx = s * ident.eye_spacing + s * (-0.19 + inner_dx + (0.37 - inner_dx) * _V)
        top = proj(np.stack([bx, by - half_t], -1), 0.68)
        bot_pts = np.stack([bx, by + half_t], -1)
        bot = proj(bot_pts, 0.68)
        poly(ctx.canvas, np.concatenate([top, bot[::-1]]), brow_c)
        sb = sproj(bot_pts, 0.66)
        down = sproj.m[1]  # one face unit along the face's vertical, in output pixels
        poly(ctx.shade, np.concatenate([sb + 0.02 * down, (sb + 0.07 * down)[::-1]]), (-0.08,))
    if bl > 0.25:  # vertical frown lines between the brows
        val = (-0.3 * min(1.0, (bl - 0.25) * 1.6),)
        for s in (-1.0, 1.0):
            frown = sproj(np.array([[s * 0.05, -0.38], [s * 0.065, -0.25]]), 0.7)
            line(ctx.shade, frown, val, 0.02 * sproj.unit)


def draw_glasses(ctx: FaceContext) -> None:
    """Rims, temples and bridge in the identity's frame colour, with a glare on each lens."""
    proj, sproj, canvas = ctx.proj, ctx.sproj, ctx.canvas
    gcol = colour(ctx.identity.glasses_color)
    th = 0.034 * proj.unit
    sp_ = ctx.identity.eye_spacing
    for s in (-1.0, 1.0):
        line(canvas, proj(_RIM + np.array([s * sp_, -0.15]), 0.8), gcol, th, closed=True)
        temple = np.array([[s * (sp_ + 0.18), -0.19], [s * (ctx.ratio + 0.02), -0.15]])
        line(canvas, proj(temple, np.array([0.8, 0.0])), gcol, th * 0.8)
        glare = np.array([[s * sp_ - 0.09, -0.21], [s * sp_ - 0.03, -0.25]])
        line(ctx.shade, sproj(glare, 0.8), (0.25,), 0.03 * sproj.unit)
    bridge = np.array([[-sp_ + 0.16, -0.19], [0.0, -0.21], [sp_ - 0.16, -0.19]])
    line(canvas, proj(bridge, 0.85), gcol, th * 0.8)
