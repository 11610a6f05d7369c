"""Who a synthetic reactor is: the appearance that stays fixed while expressions change.

Identity must dominate raw-pixel similarity (as it does for real faces), so the spread of skin,
hair, face shape and accessories is deliberately wide.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

HAIR_STYLES: tuple[str, ...] = ("bald", "short", "long", "fringe", "curly")

Color = tuple[int, int, int]

# Skin anchors from very light to very dark (RGB), interpolated for a continuous spread.
_SKIN_ANCHORS = np.array(
    [
        (250, 222, 205),
        (241, 200, 172),
        (226, 178, 142),
        (198, 145, 105),
        (160, 108, 72),
        (120, 78, 52),
        (98, 64, 46),
        (76, 50, 38),
    ],
    dtype=np.float64,
)
_HAIR_COLORS = np.array(
    [
        (22, 18, 16),  # black
        (48, 32, 22),  # dark brown
        (92, 62, 38),  # brown
        (150, 110, 62),  # light brown
        (210, 176, 112),  # blond
        (150, 62, 30),  # auburn / red
        (165, 162, 160),  # grey
        (228, 226, 222),  # white
    ],
    dtype=np.float64,
)
_EYE_COLORS = np.array(
    [(60, 38, 24), (96, 62, 34), (120, 96, 52), (70, 110, 60), (70, 110, 160), (100, 130, 150)],
    dtype=np.float64,
)

_HAIR_P_LIGHT = [0.18, 0.22, 0.18, 0.12, 0.12, 0.08, 0.07, 0.03]
_HAIR_P_DARK = [0.5, 0.3, 0.12, 0.0, 0.0, 0.0, 0.06, 0.02]
_GLASSES_COLORS: tuple[Color, ...] = ((20, 20, 22), (70, 45, 30), (110, 110, 115), (60, 30, 32))


@dataclass(frozen=True)
class Identity:
    """Plain numbers and tuples only, so an identity can be stored as JSON next to its frames."""

    face_ratio: float  # width / height of the face oval
    jaw_width: float  # 0 = pointed chin, 1 = square jaw
    skin: Color
    hair_color: Color
    hair_style: str
    eye_color: Color
    eye_spacing: float  # half distance between eye centres, face units (~0.33)
    eye_size: float  # scale factor around 1
    brow_thickness: float  # scale factor around 1
    brow_color: Color
    nose_length: float  # scale factor around 1
    nose_width: float  # scale factor around 1
    mouth_width: float  # scale factor around 1
    lip_color: Color
    glasses: bool
    glasses_color: Color
    age: float  # 0..1, strength of age lines
    shirt_color: Color

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: tuples become lists."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


def _color(values: np.ndarray) -> Color:
    v = np.clip(np.rint(values), 0, 255).astype(int)
    return (int(v[0]), int(v[1]), int(v[2]))


def _skin(rng: np.random.Generator) -> Color:
    pos = rng.uniform(0.0, len(_SKIN_ANCHORS) - 1)
    i = min(int(pos), len(_SKIN_ANCHORS) - 2)
    t = pos - i
    base = _SKIN_ANCHORS[i] * (1 - t) + _SKIN_ANCHORS[i + 1] * t
    # brightness jitter plus a little warmth/olive variation, never green-grey
    gain = rng.normal(1.0, 0.04)
    warm = rng.normal(0.0, 0.03)
    return _color(base * gain * np.array([1.0 + warm, 1.0, 1.0 - warm]))


def sample_identity(rng: np.random.Generator) -> Identity:
    """Draw an identity; every draw comes from `rng` so a seed fixes the whole cast."""
    skin = _skin(rng)
    lum = 0.3 * skin[0] + 0.59 * skin[1] + 0.11 * skin[2]
    light_skin = lum > 150.0  # blond/red hair and light eyes mostly with light skin
    age = float(rng.beta(1.3, 3.0))
    hair_p = _HAIR_P_LIGHT if light_skin else _HAIR_P_DARK
    hair_idx = int(rng.choice(len(_HAIR_COLORS), p=hair_p))
    if age < 0.45 and hair_idx >= 6:  # grey and white hair mostly with age
        hair_idx = int(rng.integers(0, 3))
    hair = _HAIR_COLORS[hair_idx] + rng.normal(0.0, 6.0, 3)
    style = str(rng.choice(HAIR_STYLES, p=[0.08, 0.32, 0.26, 0.18, 0.16]))
    skin_arr = np.array(skin, dtype=np.float64)
    brow = hair * 0.75 if hair_idx < 6 else np.array([110.0, 100.0, 95.0])
    brow = np.minimum(brow, skin_arr * 0.5)  # brows read darker than the skin they sit on
    lip = skin_arr * np.array([0.86, 0.62, 0.62]) + np.array([22.0, 0.0, 4.0])
    lip += rng.normal(0.0, 6.0, 3)
    glasses = bool(rng.random() < 0.25)
    glasses_color = _GLASSES_COLORS[int(rng.integers(0, len(_GLASSES_COLORS)))]
    shirt = rng.uniform(20.0, 235.0, 3)
    eye_idx = int(rng.integers(0, len(_EYE_COLORS) if light_skin else 2))
    return Identity(
        face_ratio=float(rng.uniform(0.70, 0.84)),
        jaw_width=float(rng.uniform(0.0, 1.0)),
        skin=skin,
        hair_color=_color(hair),
        hair_style=style,
        eye_color=_color(_EYE_COLORS[eye_idx] + rng.normal(0, 6, 3)),
        eye_spacing=float(rng.uniform(0.30, 0.36)),
        eye_size=float(rng.uniform(0.88, 1.12)),
        brow_thickness=float(rng.uniform(0.75, 1.35)),
        brow_color=_color(brow),
        nose_length=float(rng.uniform(0.88, 1.12)),
        nose_width=float(rng.uniform(0.85, 1.2)),
        mouth_width=float(rng.uniform(0.88, 1.12)),
        lip_color=_color(lip),
        glasses=glasses,
        glasses_color=glasses_color,
        age=age,
        shirt_color=_color(shirt),
    )
