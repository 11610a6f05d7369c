"""The mouth and what moves with it: two-tone lips, teeth and tongue, nasolabial folds."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rmfer.synth.face.context import FaceContext
from rmfer.synth.face.draw import colour, ellipse, line, poly
from rmfer.synth.face.geometry import U2, U_ABS, U
from rmfer.synth.face.nose import Nose

# Shapes along the lips (`U`: -1 image-left corner .. 1 image-right corner).
_MOUTH_SHAPE = U2**0.65
_LIP_UP = U2**0.45
_LIP_LO = U2**0.5
_TOOTH = U2**0.3
_BOW = 0.012 * np.exp(-((U_ABS - 0.22) ** 2) / 0.02) - 0.008 * np.exp(-(U**2) / 0.01)
_BEND = U_ABS**2.2
_Z_MOUTH = 0.74 - 0.18 * U_ABS**2
_DARK = (58.0, 22.0, 26.0, 255.0)
_TEETH = (232.0, 226.0, 212.0, 255)
_LOWER_TEETH = (205.0, 198.0, 186.0, 255.0)
_TONGUE = (150.0, 60.0, 64.0, 255.0)


@dataclass(frozen=True)
class Mouth:
    """Where the lips meet (face units) and the two corners on the canvas (the landmarks)."""

    x: np.ndarray  # x along `U`
    line_y: np.ndarray  # y of the lips' meeting line along `U`
    left_px: np.ndarray
    right_px: np.ndarray


@dataclass(frozen=True)
class _Lips:
    """The four lip curves along `U` (y, face units), and the meeting line."""

    x: np.ndarray
    line_y: np.ndarray
    outer_up: np.ndarray
    inner_up: np.ndarray
    inner_lo: np.ndarray
    outer_lo: np.ndarray


def _lip_curves(ctx: FaceContext) -> _Lips:
    """Corners pulled up (AU12) or down (AU15), stretched (AU20), parted (AU25), jaw dropped."""
    au = ctx.au
    jaw, nwr, bl = au["jaw_drop"], au["nose_wrinkle"], au["brow_lower"]
    pull, dep = au["lip_corner_pull"], au["lip_corner_depress"]
    stretch, part = au["lip_stretch"], au["lips_part"]
    uni = au["lip_corner_unilateral"]
    press = max(0.0, au["lid_tighten"] - part) * bl  # lips pressed in anger
    mw = 0.27 * ctx.identity.mouth_width * (1.0 + 0.18 * pull + 0.22 * stretch - 0.12 * jaw)
    my = 0.55 + 0.02 * jaw - 0.01 * nwr
    both_dy = -0.075 * pull + 0.06 * dep + 0.015 * stretch + 0.03 * jaw
    corner_dy = np.where(U < 0, both_dy, both_dy - 0.07 * uni)
    mx = U * mw + np.where(U < 0, 0.0, 0.035 * uni) * U_ABS
    line_y = my + corner_dy * _BEND  # the lips' meeting line bends towards the corners
    gap = 0.05 * part * (1.0 - 0.4 * stretch)
    open_lo = gap * 0.5 + 0.26 * jaw + 0.02 * part
    open_up = gap * 0.5 + 0.03 * nwr * part
    th_scale = 1.0 - 0.55 * press - 0.3 * stretch - 0.2 * pull
    t_up = 0.07 * th_scale * (1.0 + 0.25 * nwr)
    t_lo = 0.09 * th_scale * (1.0 - 0.2 * jaw)
    inner_up = line_y - (open_up + 0.012 * nwr) * _MOUTH_SHAPE
    inner_lo = line_y + open_lo * _MOUTH_SHAPE
    return _Lips(
        x=mx,
        line_y=line_y,
        outer_up=inner_up - t_up * _LIP_UP - _BOW * th_scale,
        inner_up=inner_up,
        inner_lo=inner_lo,
        outer_lo=inner_lo + t_lo * _LIP_LO,
    )


def draw_mouth(ctx: FaceContext, nose: Nose) -> Mouth:
    """Lips, and teeth and tongue when they part; returns the corners and meeting line."""
    proj, sproj, canvas = ctx.proj, ctx.sproj, ctx.canvas
    u, su = proj.unit, sproj.unit
    lips = _lip_curves(ctx)
    opening = lips.inner_lo - lips.inner_up
    is_open = float(opening[7]) > 0.012
    n = len(U)
    ys = [lips.outer_up, lips.inner_up, lips.inner_lo, lips.outer_lo, lips.line_y]
    if is_open:
        tooth_h = np.minimum(0.05 * _TOOTH, opening * 0.6)
        ys += [
            lips.inner_up + tooth_h,
            lips.inner_lo - np.minimum(0.03 * _TOOTH, opening * 0.25),
            lips.inner_lo - opening * 0.28 * _LIP_LO,
        ]
    pts = np.stack([np.tile(lips.x, len(ys)), np.concatenate(ys)], -1)
    mpx = proj(pts, np.tile(_Z_MOUTH, len(ys)))
    ou_px, iu_px, il_px, ol_px, ln_px = (mpx[i * n : (i + 1) * n] for i in range(5))
    lip = ctx.identity.lip_color
    ellipse(
        ctx.shade,
        sproj.pt(0.0, float(lips.outer_lo[7]) + 0.05, 0.7),
        0.11 * su,
        0.035 * su,
        (-0.2,),
    )
    philtrum = np.array([[0.0, nose.tip_y + 0.09], [0.0, float(lips.outer_up[7]) - 0.01]])
    line(ctx.shade, sproj(philtrum, 0.8), (-0.08,), 0.035 * su)
    poly(canvas, np.concatenate([ou_px, il_px[::-1]]), colour(lip, 0.86))  # upper lip
    poly(canvas, np.concatenate([iu_px, ol_px[::-1]]), colour(lip))  # lower lip
    if is_open:
        _draw_inside(ctx, mpx, iu_px, il_px)
        line(canvas, iu_px, colour(lip, 0.5), 0.012 * u)
    else:
        line(canvas, ln_px, colour(lip, 0.5), 0.012 * u)
    line(ctx.spec, ol_px[4:-4] * ctx.k_ss + np.array([0.0, -0.02 * su]), (0.6,), 0.018 * su)
    return Mouth(x=lips.x, line_y=lips.line_y, left_px=ou_px[0], right_px=ou_px[-1])


def _draw_inside(ctx: FaceContext, mpx: np.ndarray, iu_px: np.ndarray, il_px: np.ndarray) -> None:
    """The dark mouth, upper teeth, lower teeth (jaw not wide open) and tongue (jaw open)."""
    n, jaw, canvas = len(U), ctx.au["jaw_drop"], ctx.canvas
    poly(canvas, np.concatenate([iu_px, il_px[::-1]]), _DARK)
    teeth = mpx[5 * n : 6 * n]
    poly(canvas, np.concatenate([iu_px[2:-2], teeth[2:-2][::-1]]), _TEETH)
    if jaw < 0.6:
        lower_teeth = mpx[6 * n : 7 * n]
        poly(canvas, np.concatenate([il_px[4:-4], lower_teeth[4:-4][::-1]]), _LOWER_TEETH)
    if jaw > 0.4:
        tongue = mpx[7 * n : 8 * n]
        poly(canvas, np.concatenate([il_px[3:-3], tongue[3:-3][::-1]]), _TONGUE)


def draw_folds(ctx: FaceContext, nose: Nose, mouth: Mouth) -> None:
    """Nasolabial folds deepen with smile, cheek raise and age; cheek apples; a dimple."""
    au, sproj, shade, su = ctx.au, ctx.sproj, ctx.shade, ctx.sproj.unit
    pull, cheek, uni = au["lip_corner_pull"], au["cheek_raise"], au["lip_corner_unilateral"]
    fold = (
        0.2
        + 0.5 * ctx.identity.age
        + 0.8 * max(pull, cheek)
        + 0.4 * au["nose_wrinkle"]
        + 0.3 * au["lip_corner_depress"]
    )
    tip_y, wing = nose.tip_y, nose.wing
    for s in (-1.0, 1.0):
        k = fold + (0.6 * uni if s > 0 else 0.0)
        cx_ = float(mouth.x[-1] if s > 0 else mouth.x[0])
        cy_ = float(mouth.line_y[-1] if s > 0 else mouth.line_y[0])
        nl_pts = np.array(
            [
                [s * (wing + 0.03), tip_y - 0.02],
                [s * (wing + 0.09), tip_y + 0.1],
                [cx_ + s * 0.05, cy_ - 0.01],
                [cx_ + s * 0.06, cy_ + 0.1],
            ]
        )
        line(shade, sproj(nl_pts, ctx.surf_zv(nl_pts)), (-0.16 * min(1.3, k),), 0.035 * su)
        if cheek > 0.1 or pull > 0.1:  # cheek apples bulge
            apple = sproj.pt(s * 0.36, 0.18, ctx.surf_z(0.36, 0.18))
            ellipse(shade, apple, 0.14 * su, 0.1 * su, (0.1 * max(pull, cheek),))
        if s > 0 and uni > 0.2:  # dimple of the tightened corner
            dimple = sproj.pt(cx_ + 0.04, cy_ - 0.01, 0.6)
            ellipse(shade, dimple, 0.016 * su, 0.03 * su, (-0.3 * uni,))
