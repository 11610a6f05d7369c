"""Procedural, deterministic rendering of human-like faces driven by action-unit intensities.

The faces exist so that the whole pipeline (detection, tracking, training) can run on a demo world
with known ground truth. The renderer therefore aims first at being a face *to a real detector*
(RetinaFace), which is why it draws shaded skin, hair, neck and shoulders, almond eyes with
lids, a shaded nose and two-tone lips, and anti-aliases by supersampling.

Geometry lives in "face units": origin at the centre of the face oval, y down, the oval runs from
y=-1 (top of the forehead) to y=+1 (chin). Every feature point has a depth z so a small head
pose is a rigid rotation followed by an orthographic projection.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from rmfer.synth.expressions import AU_INDEX, AU_NAMES
from rmfer.synth.identity import Identity

_SHIFT = 2  # fixed-point bits for cv2 polygon coordinates (sub-pixel accuracy)
_FP = float(1 << _SHIFT)
_BOX_TOP = -0.75  # face-unit y of the box top: upper forehead, as RetinaFace boxes it
_UNIT = 0.34  # face unit in output pixels per pixel of `size`
_CENTER_Y = 0.43  # oval centre, fraction of `size` from the top


@dataclass(frozen=True)
class Pose:
    """Small head rotation in degrees (yaw > 0 turns the face to the image's right)."""

    yaw: float = 0.0
    pitch: float = 0.0
    roll: float = 0.0


@dataclass(frozen=True)
class Lighting:
    """Where light comes from (degrees; 0 = image right, 90 = above), shading contrast, gain."""

    direction: float = 90.0
    strength: float = 0.5
    brightness: float = 1.0


@dataclass
class RenderedFace:
    """A head on a transparent background plus where a detector should find it."""

    rgba: np.ndarray  # (H, W, 4) uint8, straight (not premultiplied) alpha
    box: np.ndarray  # (4,) float32 x1, y1, x2, y2
    landmarks: np.ndarray  # (5, 2) float32: eye (image-left), eye (image-right), nose, mouth L, R


def sample_lighting(rng: np.random.Generator) -> Lighting:
    """Mostly from above, sometimes from a side, as indoor webcam light tends to be."""
    return Lighting(
        direction=float(rng.normal(90.0, 50.0)),
        strength=float(rng.uniform(0.15, 0.8)),
        brightness=float(rng.uniform(0.75, 1.15)),
    )


def _c(rgb, f: float = 1.0, add: float = 0.0) -> tuple[float, float, float, float]:
    """An opaque cv2 colour; plain Python because numpy is slow on three numbers."""
    return (
        min(255.0, max(1.0, rgb[0] * f + add)),
        min(255.0, max(1.0, rgb[1] * f + add)),
        min(255.0, max(1.0, rgb[2] * f + add)),
        255.0,
    )


def _lerp(a, b, t: float) -> tuple[float, float, float]:
    return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t)


class _Projector:
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


def _chaikin(pts: np.ndarray, iterations: int = 2) -> np.ndarray:
    """Corner-cutting on a closed polygon: a smooth outline from a few control points."""
    for _ in range(iterations):
        nxt = np.roll(pts, -1, axis=0)
        pts = np.stack([0.75 * pts + 0.25 * nxt, 0.25 * pts + 0.75 * nxt], axis=1).reshape(-1, 2)
    return pts


def _face_contour(ratio: float, jaw: float, chin_drop: float) -> np.ndarray:
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
    return _chaikin(pts, 2)


def _poly(img: np.ndarray, pts: np.ndarray, color: tuple) -> None:
    cv2.fillPoly(img, [(pts * _FP).astype(np.int32)], color, cv2.LINE_8, _SHIFT)


def _line(img: np.ndarray, pts: np.ndarray, color: tuple, thick: float, closed: bool = False):
    cv2.polylines(
        img,
        [(pts * _FP).astype(np.int32)],
        closed,
        color,
        max(1, int(thick + 0.5)),
        cv2.LINE_8,
        _SHIFT,
    )


def _ell(img: np.ndarray, c, ax: float, ay: float, color: tuple, angle: float = 0.0) -> None:
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


# Parameter along lids, lips and brows: -1 .. 1, and shapes that depend only on it.
_U = np.linspace(-1.0, 1.0, 15)
_U_ABS = np.abs(_U)
_U2 = 1.0 - _U**2
_LID_UP = _U2**0.75 * (1.0 - 0.18 * _U)
_LID_LO = _U2**0.9 * (1.0 + 0.15 * _U)
_V = (_U + 1.0) / 2.0  # 0 inner -> 1 outer (brows)
_SIN_V = np.sin(math.pi * _V)
_ARCH = np.sin(math.pi * np.clip(_V * 1.15, 0.0, 1.0))
_V15 = _V**1.5
_IV15 = (1.0 - _V) ** 1.5
_BROW_T = 0.052 * (1.0 - _V) + 0.02 * _V + 0.01 * _SIN_V
_MOUTH_SHAPE = _U2**0.65
_LIP_UP = _U2**0.45
_LIP_LO = _U2**0.5
_TOOTH = _U2**0.3
_BOW = 0.012 * np.exp(-((_U_ABS - 0.22) ** 2) / 0.02) - 0.008 * np.exp(-(_U**2) / 0.01)
_BEND = _U_ABS**2.2
_Z_MOUTH = 0.74 - 0.18 * _U_ABS**2
_Z_EYE = 0.6 - 0.05 * _U_ABS
_HAIR_T = np.linspace(math.pi, 2.0 * math.pi, 17)
_HAIR_COS, _HAIR_SIN = np.cos(_HAIR_T), np.sin(_HAIR_T)
_STRAND_T = np.linspace(1.2 * math.pi, 1.8 * math.pi, 9)
_STRAND = np.stack([np.cos(_STRAND_T), np.sin(_STRAND_T)], -1)
_HL_X = np.linspace(1.0, -1.0, 13)
_FRINGE = 0.05 * np.cos(np.linspace(0.0, 6.0 * math.pi, 13)) ** 2
_CURL = 0.04 * np.cos(np.linspace(0.0, 7.0 * math.pi, 13))
_FOREHEAD_X = np.linspace(-0.32, 0.32, 9)
_RIM_T = np.linspace(0.0, 2.0 * math.pi, 20, endpoint=False)
_RIM = np.stack(
    [
        0.18 * np.sign(np.cos(_RIM_T)) * np.abs(np.cos(_RIM_T)) ** 0.6,
        0.125 * np.sign(np.sin(_RIM_T)) * np.abs(np.sin(_RIM_T)) ** 0.7,
    ],
    -1,
)
_FLIP = np.array([-1.0, 1.0])
_SHADOW_TINT = np.array([0.85, 1.0, 1.1], dtype=np.float32)


def render_face(
    identity: Identity,
    aus: np.ndarray,
    size: int,
    *,
    pose: Pose = Pose(),
    lighting: Lighting | None = None,
    occlusion: str | None = None,
    supersample: int = 3,
) -> RenderedFace:
    """Render one head (with neck and shoulders) as straight RGBA, its face box and 5 landmarks.

    The face box is ~60% of `size` high (~66% with the jaw dropped), top at the upper forehead,
    so hair and shoulders fit; the box and landmarks are in this image's pixel coordinates.
    Everything is a pure function of the arguments.
    """
    if occlusion not in (None, "hand_over_mouth"):
        raise ValueError(f"occlusion must be None or 'hand_over_mouth', got {occlusion!r}")
    a = np.asarray(aus, dtype=np.float64).reshape(-1)
    if a.shape != (len(AU_NAMES),):
        raise ValueError(f"aus must have {len(AU_NAMES)} entries, got {a.shape}")
    au = {name: min(1.0, max(0.0, float(a[i]))) for name, i in AU_INDEX.items()}
    light = lighting if lighting is not None else Lighting()
    ss = max(1, int(supersample))
    big = size * ss
    canvas = np.zeros((big, big, 4), dtype=np.uint8)
    proj = _Projector(float(big), pose)
    pj = proj.pt
    u = proj.unit
    # Soft shading (multiplicative, around 0) and highlights (additive) at output resolution:
    # drawn crisp, blurred once, so they cost almost nothing.
    shade = np.zeros((size, size), dtype=np.float32)
    spec = np.zeros((size, size), dtype=np.float32)
    sproj = _Projector(float(size), pose)
    spj = sproj.pt
    su = sproj.unit
    k_ss = 1.0 / ss

    ident = identity
    skin = ident.skin
    skin_c = _c(skin)
    hair_c = _c(ident.hair_color)
    ratio = ident.face_ratio
    zk = 1.0 / (ratio * 1.08)
    jaw = au["jaw_drop"]
    chin_drop = 0.17 * jaw + 0.04 * au["lips_part"]
    contour = _face_contour(ratio, ident.jaw_width, chin_drop)
    z_contour = 0.3

    def surf_z(x: float, y: float) -> float:
        """Depth of the face surface: a rounded front, receding towards the sides."""
        xn = min(1.0, abs(x) * zk)
        return 0.3 + 0.45 * math.sqrt(1.0 - xn * xn) * (1.0 - 0.12 * y * y)

    def surf_zv(pts: np.ndarray) -> np.ndarray:
        xn = np.minimum(np.abs(pts[:, 0]) * zk, 1.0)
        return 0.3 + 0.45 * np.sqrt(1.0 - xn * xn) * (1.0 - 0.12 * pts[:, 1] ** 2)

    # ---- body: shoulders, shirt, neck ---------------------------------------------------------
    shirt = ident.shirt_color
    neck_w = 0.36 + 0.1 * ident.jaw_width
    nb = neck_w * 1.05
    neck = np.array([[-neck_w, 0.45], [neck_w, 0.45], [nb, 1.45], [-nb, 1.45]])
    neck_px = proj(neck, 0.0)
    neck_px[2:] = proj.body(neck[2:])  # the neck base stays on the torso
    _poly(canvas, neck_px, _c(skin, 0.9))
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
    _poly(canvas, proj.body(shoulders), _c(shirt))
    nc = neck_w * 1.1
    collar = proj.body(np.array([[-nc, 1.2], [-0.2, 1.52], [0.0, 1.58], [0.2, 1.52], [nc, 1.2]]))
    _poly(canvas, collar, _c(skin, 0.86))
    _line(canvas, collar, _c(shirt, 0.7), 0.035 * u)
    arm = np.array([[1.9, 1.6], [1.4, 1.55], [1.7, 3.0], [2.2, 3.0]])
    _poly(shade, sproj.body(arm), (-0.1,))
    _poly(shade, sproj.body(arm * _FLIP), (-0.1,))
    _ell(shade, spj(0.0, 1.2 + chin_drop, 0.2), 0.34 * su, 0.11 * su, (-0.16,))  # under the chin

    # ---- hair behind the head, ears ----------------------------------------------------------
    style = ident.hair_style
    if style == "long":
        back = np.array([[0.16, -0.3], [0.22, 0.5], [0.2, 1.35], [-0.15, 1.45]])
        back[:, 0] += ratio
        _poly(canvas, proj(np.concatenate([back * _FLIP, back[::-1]]), -0.1), hair_c)
    if style != "bald":
        _ell(canvas, pj(0.0, -0.18, -0.05), (ratio + 0.1) * u, u, hair_c, proj.roll_deg)
    ear_in = _c(skin, 0.72)
    for s in (-1.0, 1.0):
        ec = pj(s * (ratio + 0.02), 0.05, -0.12)
        _ell(canvas, ec, 0.1 * u, 0.22 * u, skin_c, proj.roll_deg + s * 8.0)
        _ell(
            canvas,
            (ec[0] + s * 0.015 * u, ec[1]),
            0.045 * u,
            0.14 * u,
            ear_in,
            proj.roll_deg + s * 8.0,
        )

    # ---- face oval ---------------------------------------------------------------------------
    _poly(canvas, proj(contour, z_contour), skin_c)

    # ---- front hair --------------------------------------------------------------------------
    if style != "bald":
        outer = np.stack([(ratio + 0.12) * _HAIR_COS, -0.18 + 1.02 * _HAIR_SIN], axis=-1)
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
        hairline = np.stack([hx, hy], axis=-1)
        _poly(
            canvas,
            np.concatenate([proj(outer, 0.0), proj(hairline, surf_zv(hairline) * 0.6)]),
            hair_c,
        )
        if style == "curly":
            for x, y in zip((ratio + 0.1) * _HAIR_COS[::2], -0.18 + _HAIR_SIN[::2], strict=True):
                _ell(canvas, pj(x, y, 0.0), 0.16 * u, 0.16 * u, hair_c)
        strand_c = _c(ident.hair_color, 0.72)
        for k in (0.93, 0.8):
            strand = _STRAND * np.array([(ratio + 0.12) * k, 1.02 * k]) + np.array([0.0, -0.18])
            _line(canvas, proj(strand, 0.2), strand_c, 0.02 * u)
        _poly(shade, sproj(hairline + np.array([0.0, -0.06]), 0.2), (-0.08,))
        _ell(spec, spj(0.0, -0.95, 0.4), 0.35 * su, 0.08 * su, (0.4,))
    else:  # bald on top, a horseshoe of short hair at the sides
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
            _poly(canvas, proj(side_hair, 0.2), hair_c)
        _ell(spec, spj(0.0, -0.7, 0.5), 0.3 * su, 0.12 * su, (0.5,))

    # ---- forehead lines ------------------------------------------------------------------------
    forehead = 0.6 * max(0.0, au["brow_raise"] - 0.2) + 0.5 * ident.age
    if forehead > 0.15:
        val = (-0.16 * min(1.0, forehead),)
        for k, yy in enumerate((-0.52, -0.59, -0.66)):
            if yy < -0.6 and style == "fringe":
                continue
            ys = yy + 0.03 * (_FOREHEAD_X / 0.32) ** 2 - 0.01 * k
            _line(shade, sproj(np.stack([_FOREHEAD_X, ys], -1), 0.7), val, 0.022 * su)

    # ---- eyes --------------------------------------------------------------------------------
    es = ident.eye_size
    ew = 0.15 * es
    up_h = 0.068 * es * (1.0 + 0.6 * au["lid_raise"]) * (1.0 - 0.32 * au["lid_tighten"])
    up_h *= 1.0 - 0.22 * au["cheek_raise"]
    lo_h = 0.048 * es * (1.0 - 0.5 * au["lid_tighten"]) * (1.0 - 0.55 * au["cheek_raise"])
    lo_h *= 1.0 + 0.25 * au["lid_raise"]
    eye_y = -0.17 - 0.01 * au["cheek_raise"]
    iris_r = 0.064 * es
    upper_curve = eye_y - up_h * _LID_UP - 0.012 * _U
    lower_curve = eye_y + lo_h * _LID_LO - 0.012 * _U
    sclera = _c(_lerp((226, 222, 216), skin, 0.12))
    iris_c = _c(ident.eye_color)
    iris_dark = _c(ident.eye_color, 0.55)
    pupil_c = (12.0, 10.0, 10.0, 255.0)
    glint_c = (245.0, 245.0, 245.0, 255.0)
    lash_c = _c(ident.hair_color, 0.4, 10.0)
    crease_c = _c(skin, 0.8)
    lower_c = _c(skin, 0.75)
    age_eye = max(ident.age - 0.35, au["cheek_raise"] - 0.3)
    eye_centers = []
    for s in (-1.0, 1.0):
        ex = s * ident.eye_spacing
        xs = ex + s * ew * _U  # _U = -1 at the inner corner, +1 at the outer corner
        up_px = proj(np.stack([xs, upper_curve], -1), _Z_EYE)
        lo_px = proj(np.stack([xs, lower_curve], -1), _Z_EYE)
        _ell(shade, spj(ex - s * 0.02, eye_y - 0.05, 0.6), 0.18 * su, 0.09 * su, (-0.13,))
        _ell(shade, spj(ex - s * 0.15, eye_y - 0.01, 0.55), 0.05 * su, 0.06 * su, (-0.1,))
        _poly(canvas, np.concatenate([up_px, lo_px[::-1]]), sclera)
        ic = pj(ex, eye_y - 0.008, 0.62)
        eye_centers.append(ic)
        r = iris_r * u
        _ell(canvas, ic, r * (0.9 + 0.1 * proj.cyaw), r, iris_c)
        _ell(canvas, ic, r * 0.62, r * 0.62, iris_dark)
        _ell(canvas, ic, r * 0.42, r * 0.42, pupil_c)
        _ell(canvas, (ic[0] + 0.35 * r, ic[1] - 0.35 * r), 0.014 * u, 0.014 * u, glint_c)
        # lids: skin masks clip the iris to the almond
        xo, xi = xs[-1], xs[0]
        masks = proj(
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
        _poly(canvas, np.concatenate([up_px, masks[:4]]), skin_c)
        _poly(canvas, np.concatenate([lo_px, masks[4:]]), skin_c)
        _line(canvas, up_px, lash_c, 0.026 * u)
        _line(canvas, up_px[9:] + np.array([0.0, -0.004 * u]), lash_c, 0.03 * u)
        crease = np.stack([xs[2:-2], eye_y + (upper_curve[2:-2] - eye_y) * 1.1 - 0.04], -1)
        _line(canvas, proj(crease, 0.6), crease_c, 0.014 * u)
        _line(canvas, lo_px[3:], lower_c, 0.013 * u)
        if age_eye > 0.0:  # crow's feet and eye bags
            val = (-0.25 * min(1.0, age_eye * 1.6),)
            for dy in (-0.03, 0.02, 0.06):
                p0 = np.array(
                    [[ex + s * (ew + 0.03), eye_y + dy], [ex + s * (ew + 0.1), eye_y + 2 * dy]]
                )
                _line(shade, sproj(p0, 0.45), val, 0.015 * su)
            bag = np.stack([xs[2:-2], lower_curve[2:-2] + 0.06], -1)
            _line(shade, sproj(bag, 0.6), (val[0] * 0.8,), 0.02 * su)

    # ---- brows -------------------------------------------------------------------------------
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
    brow_c = _c(ident.brow_color)
    for s in (-1.0, 1.0):
        bx = s * ident.eye_spacing + s * (-0.19 + inner_dx + (0.37 - inner_dx) * _V)
        top = proj(np.stack([bx, by - half_t], -1), 0.68)
        bot_pts = np.stack([bx, by + half_t], -1)
        bot = proj(bot_pts, 0.68)
        _poly(canvas, np.concatenate([top, bot[::-1]]), brow_c)
        sb = sproj(bot_pts, 0.66)
        down = sproj.m[1]  # one face unit along the face's vertical, in output pixels
        _poly(shade, np.concatenate([sb + 0.02 * down, (sb + 0.07 * down)[::-1]]), (-0.08,))
    if bl > 0.25:  # vertical frown lines between the brows
        val = (-0.3 * min(1.0, (bl - 0.25) * 1.6),)
        for s in (-1.0, 1.0):
            _line(
                shade, sproj(np.array([[s * 0.05, -0.38], [s * 0.065, -0.25]]), 0.7), val, 0.02 * su
            )

    # ---- nose --------------------------------------------------------------------------------
    nwr = au["nose_wrinkle"]
    nw = ident.nose_width
    tip_y = -0.17 + 0.45 * ident.nose_length - 0.02 * nwr
    wing = 0.15 * nw * (1.0 + 0.12 * nwr)
    z_tip = 0.98
    cos_l = math.cos(math.radians(light.direction))
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
    zb = np.array([0.72, 0.88, 0.9, 0.72, 0.75, 0.7])
    _poly(shade, sproj(bridge * np.array([side, 1.0]), zb), (-0.18,))
    _poly(shade, sproj(bridge * np.array([-side, 1.0]), zb), (-0.06,))
    _ell(shade, spj(0.0, tip_y + 0.075, 0.8), 0.12 * nw * su, 0.04 * su, (-0.22,))
    _ell(shade, spj(0.0, tip_y - 0.02, z_tip), 0.05 * su, 0.045 * su, (0.16,))
    nose_dark = _c(skin, 0.7)
    nostril_c = _c(skin, 0.35, 8.0)
    z_alar = np.array([0.7, 0.72, 0.74, 0.8])
    for s in (-1.0, 1.0):
        alar = np.array(
            [
                [s * wing * 0.75, tip_y - 0.07],
                [s * wing, tip_y - 0.01],
                [s * wing * 0.95, tip_y + 0.03],
                [s * wing * 0.6, tip_y + 0.05],
            ]
        )
        _line(canvas, proj(alar, z_alar), nose_dark, 0.02 * u)
        _ell(
            canvas,
            pj(s * wing * 0.5, tip_y + 0.045, 0.82),
            0.042 * nw * u * (0.6 + 0.4 * proj.cyaw),
            0.019 * u,
            nostril_c,
            s * 18.0 + proj.roll_deg,
        )
    if nwr > 0.2:  # wrinkles across the bridge
        for k in range(3):
            yy = -0.06 + 0.04 * k
            _line(
                shade,
                sproj(np.array([[-0.06, yy + 0.01], [0.0, yy], [0.06, yy + 0.01]]), 0.8),
                (-0.3 * nwr,),
                0.016 * su,
            )
    tip_px = pj(0.0, tip_y, z_tip)

    # ---- mouth -------------------------------------------------------------------------------
    pull, dep = au["lip_corner_pull"], au["lip_corner_depress"]
    stretch, part = au["lip_stretch"], au["lips_part"]
    uni = au["lip_corner_unilateral"]
    press = max(0.0, au["lid_tighten"] - part) * bl  # lips pressed in anger
    mw = 0.27 * ident.mouth_width * (1.0 + 0.18 * pull + 0.22 * stretch - 0.12 * jaw)
    my = 0.55 + 0.02 * jaw - 0.01 * nwr
    both_dy = -0.075 * pull + 0.06 * dep + 0.015 * stretch + 0.03 * jaw
    corner_dy = np.where(_U < 0, both_dy, both_dy - 0.07 * uni)
    mx = _U * mw + np.where(_U < 0, 0.0, 0.035 * uni) * _U_ABS
    line_y = my + corner_dy * _BEND  # the lips' meeting line bends towards the corners
    gap = 0.05 * part * (1.0 - 0.4 * stretch)
    open_lo = gap * 0.5 + 0.26 * jaw + 0.02 * part
    open_up = gap * 0.5 + 0.03 * nwr * part
    th_scale = 1.0 - 0.55 * press - 0.3 * stretch - 0.2 * pull
    t_up = 0.07 * th_scale * (1.0 + 0.25 * nwr)
    t_lo = 0.09 * th_scale * (1.0 - 0.2 * jaw)
    inner_up = line_y - (open_up + 0.012 * nwr) * _MOUTH_SHAPE
    inner_lo = line_y + open_lo * _MOUTH_SHAPE
    outer_up = inner_up - t_up * _LIP_UP - _BOW * th_scale
    outer_lo = inner_lo + t_lo * _LIP_LO
    opening = inner_lo - inner_up
    is_open = float(opening[7]) > 0.012
    n = len(_U)
    ys = [outer_up, inner_up, inner_lo, outer_lo, line_y]
    if is_open:
        tooth_h = np.minimum(0.05 * _TOOTH, opening * 0.6)
        ys += [
            inner_up + tooth_h,
            inner_lo - np.minimum(0.03 * _TOOTH, opening * 0.25),
            inner_lo - opening * 0.28 * _LIP_LO,
        ]
    mpx = proj(np.stack([np.tile(mx, len(ys)), np.concatenate(ys)], -1), np.tile(_Z_MOUTH, len(ys)))
    ou_px, iu_px, il_px, ol_px, ln_px = (mpx[i * n : (i + 1) * n] for i in range(5))
    lip = ident.lip_color
    _ell(shade, spj(0.0, float(outer_lo[7]) + 0.05, 0.7), 0.11 * su, 0.035 * su, (-0.2,))
    _line(
        shade,
        sproj(np.array([[0.0, tip_y + 0.09], [0.0, float(outer_up[7]) - 0.01]]), 0.8),
        (-0.08,),
        0.035 * su,
    )
    _poly(canvas, np.concatenate([ou_px, il_px[::-1]]), _c(lip, 0.86))  # upper lip
    _poly(canvas, np.concatenate([iu_px, ol_px[::-1]]), _c(lip))  # lower lip
    if is_open:
        _poly(canvas, np.concatenate([iu_px, il_px[::-1]]), (58.0, 22.0, 26.0, 255.0))
        teeth = mpx[5 * n : 6 * n]
        _poly(canvas, np.concatenate([iu_px[2:-2], teeth[2:-2][::-1]]), (232.0, 226.0, 212.0, 255))
        if jaw < 0.6:
            lower_teeth = mpx[6 * n : 7 * n]
            _poly(
                canvas,
                np.concatenate([il_px[4:-4], lower_teeth[4:-4][::-1]]),
                (205.0, 198.0, 186.0, 255.0),
            )
        if jaw > 0.4:  # tongue
            tongue = mpx[7 * n : 8 * n]
            _poly(
                canvas,
                np.concatenate([il_px[3:-3], tongue[3:-3][::-1]]),
                (150.0, 60.0, 64.0, 255.0),
            )
        _line(canvas, iu_px, _c(lip, 0.5), 0.012 * u)
    else:
        _line(canvas, ln_px, _c(lip, 0.5), 0.012 * u)
    _line(spec, ol_px[4:-4] * k_ss + np.array([0.0, -0.02 * su]), (0.6,), 0.018 * su)
    mouth_l, mouth_r = ou_px[0], ou_px[-1]
    # nasolabial folds deepen with smile and cheek raise
    cheek = au["cheek_raise"]
    fold = 0.2 + 0.5 * ident.age + 0.8 * max(pull, cheek) + 0.4 * nwr + 0.3 * dep
    for s in (-1.0, 1.0):
        k = fold + (0.6 * uni if s > 0 else 0.0)
        cx_ = float(mx[-1] if s > 0 else mx[0])
        cy_ = float(line_y[-1] if s > 0 else line_y[0])
        nl_pts = np.array(
            [
                [s * (wing + 0.03), tip_y - 0.02],
                [s * (wing + 0.09), tip_y + 0.1],
                [cx_ + s * 0.05, cy_ - 0.01],
                [cx_ + s * 0.06, cy_ + 0.1],
            ]
        )
        _line(shade, sproj(nl_pts, surf_zv(nl_pts)), (-0.16 * min(1.3, k),), 0.035 * su)
        if cheek > 0.1 or pull > 0.1:  # cheek apples bulge
            _ell(
                shade,
                spj(s * 0.36, 0.18, surf_z(0.36, 0.18)),
                0.14 * su,
                0.1 * su,
                (0.1 * max(pull, cheek),),
            )
        if s > 0 and uni > 0.2:  # dimple of the tightened corner
            _ell(shade, spj(cx_ + 0.04, cy_ - 0.01, 0.6), 0.016 * su, 0.03 * su, (-0.3 * uni,))

    # ---- skin sheen: highlights towards the light; they make dark skin read as 3-D ----------
    ldx = 0.07 * cos_l
    ldy = -0.07 * math.sin(math.radians(light.direction))
    _ell(spec, spj(ldx, -0.55 + ldy, surf_z(ldx, -0.55)), 0.2 * su, 0.09 * su, (0.45,))
    _line(
        spec,
        sproj(np.array([[ldx * 0.4, -0.14], [ldx * 0.4, tip_y - 0.07]]), 0.9),
        (0.55,),
        0.035 * su,
    )
    _ell(spec, spj(ldx * 0.3, tip_y - 0.03, z_tip), 0.045 * su, 0.035 * su, (0.9,))
    for s in (-1.0, 1.0):
        x = s * 0.42 + ldx
        y = 0.04 + ldy - 0.04 * cheek
        _ell(spec, spj(x, y, surf_z(x, y)), 0.11 * su, 0.06 * su, (0.35 * (1.0 + 0.6 * s * cos_l),))
    _ell(spec, spj(ldx * 0.5, 0.9 + chin_drop, 0.55), 0.1 * su, 0.045 * su, (0.35,))

    # ---- glasses -----------------------------------------------------------------------------
    if ident.glasses:
        gcol = _c(ident.glasses_color)
        th = 0.034 * u
        sp_ = ident.eye_spacing
        for s in (-1.0, 1.0):
            _line(canvas, proj(_RIM + np.array([s * sp_, -0.15]), 0.8), gcol, th, closed=True)
            temple = np.array([[s * (sp_ + 0.18), -0.19], [s * (ratio + 0.02), -0.15]])
            _line(canvas, proj(temple, np.array([0.8, 0.0])), gcol, th * 0.8)
            glare = np.array([[s * sp_ - 0.09, -0.21], [s * sp_ - 0.03, -0.25]])
            _line(shade, sproj(glare, 0.8), (0.25,), 0.03 * su)
        bridge_g = np.array([[-sp_ + 0.16, -0.19], [0.0, -0.21], [sp_ - 0.16, -0.19]])
        _line(canvas, proj(bridge_g, 0.85), gcol, th * 0.8)

    # ---- occluding hand ----------------------------------------------------------------------
    if occlusion == "hand_over_mouth":
        # An outline pass (darker, thicker) then a fill pass keeps the same-coloured hand
        # readable against the face; dark gaps separate the fingers.
        hand = _lerp(skin, (235, 165, 150), 0.12)
        hc, edge = _c(hand, 1.04), _c(hand, 0.68)
        hz = 1.1
        arm = proj(np.array([[-0.24, 0.62], [0.16, 0.62], [0.3, 1.7], [-0.14, 1.7]]), hz)
        sleeve = proj(np.array([[-0.17, 1.45], [0.29, 1.45], [0.42, 2.6], [-0.08, 2.6]]), hz)
        bases = -0.27 + 0.15 * np.arange(4)
        fingers = [
            proj(np.array([[x0, 0.52], [x0 + 0.12 + 0.02 * k, 0.22 - 0.03 * (k % 3)]]), hz)
            for k, x0 in enumerate(bases)
        ]
        palm = pj(0.0, 0.58, hz)
        arm_inner = arm * 0.94 + arm.mean(axis=0) * 0.06
        for color, grow, arm_poly in ((edge, 0.028, arm), (hc, 0.0, arm_inner)):
            _poly(canvas, arm_poly, color)
            _ell(canvas, palm, (0.36 + grow) * u, (0.26 + grow) * u, color, proj.roll_deg)
            for fpx in fingers:
                _line(canvas, fpx, color, (0.13 + 2 * grow) * u)
        _poly(canvas, sleeve, _c(shirt, 0.9))
        for k, x0 in enumerate(bases[:-1]):
            gap = np.array([[x0 + 0.075, 0.5], [x0 + 0.19 + 0.02 * k, 0.27 - 0.03 * (k % 3)]])
            _line(canvas, proj(gap, hz), edge, 0.016 * u)
        for fpx in fingers:  # knuckles and nails catch the light
            _ell(spec, fpx[0] * k_ss, 0.03 * su, 0.02 * su, (0.5,))
            _ell(spec, fpx[1] * k_ss, 0.025 * su, 0.02 * su, (0.6,))

    # ---- resolve: downsample, un-premultiply, shade, add sheen ------------------------------
    small = cv2.resize(canvas, (size, size), interpolation=cv2.INTER_AREA) if ss > 1 else canvas
    alpha = small[..., 3]
    sigma = max(0.6, 0.012 * size)
    shade = cv2.GaussianBlur(shade, (0, 0), sigma)
    lum = 0.3 * skin[0] + 0.59 * skin[1] + 0.11 * skin[2]
    exposure = min(1.6, max(0.9, (140.0 / max(lum, 1.0)) ** 0.5))  # webcam auto-exposure
    shade += _lighting_field(size, sproj, ratio, light) * exposure
    inv = 255.0 / np.maximum(alpha, 1).astype(np.float32)  # straight colour from premultiplied
    rgb = small[..., :3].astype(np.float32)
    # skin scatters red light: shadows get warmer rather than just greyer
    rgb *= inv[..., None] * (1.0 + (shade[..., None] - 1.0) * _SHADOW_TINT)
    spec = cv2.GaussianBlur(spec, (0, 0), sigma * 1.5)
    amp = 38.0 * (0.5 + 0.5 * light.strength) * light.brightness * (1.25 - lum / 255.0)
    rgb += (spec * amp)[..., None]
    out = np.empty((size, size, 4), dtype=np.uint8)
    np.clip(rgb, 0.0, 255.0, out=rgb)
    out[..., :3] = rgb
    out[..., 3] = alpha

    # ---- annotations -------------------------------------------------------------------------
    box = _face_box(contour, sproj, z_contour)
    lms = np.array([eye_centers[0], eye_centers[1], tip_px, mouth_l, mouth_r]) * k_ss
    return RenderedFace(rgba=out, box=box.astype(np.float32), landmarks=lms.astype(np.float32))


def _face_box(contour: np.ndarray, proj: _Projector, z: float) -> np.ndarray:
    """Upper forehead to chin, cheek to cheek: the part of the oval below the box's top line."""
    keep = contour[contour[:, 1] >= _BOX_TOP]
    xw = float(np.interp(_BOX_TOP, *_top_width(contour)))
    pts = np.concatenate([keep, [[-xw, _BOX_TOP], [xw, _BOX_TOP]]])
    pts[:, 0] *= 0.97  # detectors box the cheeks slightly inside the silhouette
    px = proj(pts, z)
    return np.array([px[:, 0].min(), px[:, 1].min(), px[:, 0].max(), px[:, 1].max()])


def _top_width(contour: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Half-width of the oval as a function of y over its upper half (y increasing)."""
    right = contour[(contour[:, 0] >= 0) & (contour[:, 1] <= 0.0)]
    order = np.argsort(right[:, 1])
    return right[order, 1], right[order, 0]


_GRID_CACHE: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def _grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    if size not in _GRID_CACHE:
        yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) + 0.5
        _GRID_CACHE[size] = (xx, yy)
    return _GRID_CACHE[size]


def _lighting_field(size: int, proj: _Projector, ratio: float, light: Lighting) -> np.ndarray:
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


def composite(
    background: np.ndarray, face: RenderedFace, x: int, y: int
) -> tuple[np.ndarray, np.ndarray]:
    """Alpha-blend `face` onto `background` in place at top-left (x, y), clipped to its edges."""
    h, w = background.shape[:2]
    fh, fw = face.rgba.shape[:2]
    x0, y0 = max(x, 0), max(y, 0)
    x1, y1 = min(x + fw, w), min(y + fh, h)
    if x1 > x0 and y1 > y0:
        patch = face.rgba[y0 - y : y1 - y, x0 - x : x1 - x]
        a = patch[..., 3:4].astype(np.float32) * (1.0 / 255.0)
        dst = background[y0:y1, x0:x1].astype(np.float32)
        dst += (patch[..., :3].astype(np.float32) - dst) * a
        background[y0:y1, x0:x1] = np.clip(dst + 0.5, 0, 255).astype(np.uint8)
    offset = np.array([x, y], dtype=np.float32)
    box = face.box + np.concatenate([offset, offset])
    return box.astype(np.float32), (face.landmarks + offset).astype(np.float32)


def sample_background(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """A room seen behind a webcam user: wall gradient, furniture, frames, a lamp."""
    wall = rng.uniform(60.0, 230.0, 3)
    wall = wall * 0.6 + wall.mean() * 0.4
    top = wall * rng.uniform(0.85, 1.1)
    bottom = wall * rng.uniform(0.6, 0.95)
    t = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    col = (top * (1.0 - t) + bottom * t).astype(np.float32)  # (H, 1, 3)
    side = 1.0 + float(rng.uniform(-0.15, 0.15)) * np.linspace(-1.0, 1.0, width, dtype=np.float32)
    img = np.clip(col * side[None, :, None], 0, 255).astype(np.uint8)
    for _ in range(int(rng.integers(2, 6))):  # shelves, cupboards, frames, doors
        w = int(rng.uniform(0.08, 0.4) * width)
        h = int(rng.uniform(0.08, 0.6) * height)
        x = int(rng.integers(-w // 3, width - w // 2))
        y = int(rng.integers(-h // 3, height - h // 3))
        color = rng.uniform(20.0, 235.0, 3)
        cv2.rectangle(img, (x, y), (x + w, y + h), color.tolist(), -1)
        if rng.random() < 0.5:  # a frame with a picture inside
            m = max(1, min(w, h) // 8)
            inner = rng.uniform(30.0, 220.0, 3)
            cv2.rectangle(img, (x + m, y + m), (x + w - m, y + h - m), inner.tolist(), -1)
        else:  # shelf edges
            for k in range(1, int(rng.integers(1, 4)) + 1):
                yy = y + k * h // 4
                cv2.line(img, (x, yy), (x + w, yy), (color * 0.6).tolist(), max(1, height // 90))
    if rng.random() < 0.7:  # lamp glow: a separable Gaussian, added with saturation
        lx = float(rng.uniform(0.0, width))
        ly = float(rng.uniform(0.0, height * 0.6))
        r = float(rng.uniform(0.1, 0.3)) * max(height, width)
        gx = np.exp(-((np.arange(width, dtype=np.float32) - lx) ** 2) / (2.0 * r * r))
        gy = np.exp(-((np.arange(height, dtype=np.float32) - ly) ** 2) / (2.0 * r * r))
        warm = np.array([255.0, 230.0, 180.0], dtype=np.float32) * float(rng.uniform(0.3, 0.6))
        glow = (gy[:, None, None] * (gx[:, None] * warm)[None]).astype(np.uint8)
        img = cv2.add(img, glow)
    return img


def _normal_quantiles(levels: int = 256) -> np.ndarray:
    """Standard normal quantiles at (i + 0.5) / levels, by bisection on erf (no scipy)."""
    out = np.empty(levels)
    for i in range(levels):
        p = (i + 0.5) / levels
        lo, hi = -6.0, 6.0
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            if 0.5 * (1.0 + math.erf(mid / math.sqrt(2.0))) < p:
                lo = mid
            else:
                hi = mid
        out[i] = 0.5 * (lo + hi)
    return out


_NORMAL_Q = _normal_quantiles()


def add_sensor_noise(image: np.ndarray, rng: np.random.Generator, sigma: float) -> np.ndarray:
    """Gaussian pixel noise, as a cheap webcam adds; returns a new uint8 image.

    Noise comes from one random byte per value through a 256-level Gaussian quantile table:
    ~10x faster than drawing floats, which matters for thousands of video frames.
    """
    if sigma <= 0:
        return image.copy()
    lut = np.rint(_NORMAL_Q * sigma).astype(np.int16)
    idx = np.frombuffer(rng.bytes(image.size), dtype=np.uint8).reshape(image.shape)
    noisy = image.astype(np.int16)
    noisy += lut[idx]
    return np.clip(noisy, 0, 255).astype(np.uint8)


def jpeg_roundtrip(image: np.ndarray, quality: int) -> np.ndarray:
    """Encode and decode as JPEG to get real compression artefacts (RGB in, RGB out)."""
    ok, buf = cv2.imencode(".jpg", image[..., ::-1], [int(cv2.IMWRITE_JPEG_QUALITY), int(quality)])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return np.ascontiguousarray(cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1])
