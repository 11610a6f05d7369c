"""What every facial part draws with: the three layers, two projections, the person, the face.

A part reads the context and paints into its layers; it returns only what a later part or the
annotations need (an eye centre, the nose tip). The order of the part calls is the painter's
order, so it lives in one place: `render_face`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rmfer.synth.expressions import AU_INDEX, AU_NAMES
from rmfer.synth.face.draw import Colour, colour
from rmfer.synth.face.geometry import (
    Pose,
    Projector,
    face_contour,
    surface_depth,
    surface_depths,
)
from rmfer.synth.face.lighting import Lighting
from rmfer.synth.identity import Identity


@dataclass
class FaceContext:
    """The canvas and shading layers, the geometry of this head, and its style.

    `canvas` is the supersampled RGBA image (`proj` maps face units onto it). `shade` (drawn
    multiplicatively, around 0) and `spec` (additive highlights) are at output resolution
    (`sproj`): drawn crisp and blurred once, so they cost almost nothing.
    """

    identity: Identity
    au: dict[str, float]  # expression intensities by AU name, clipped to [0, 1]
    light: Lighting
    size: int  # output pixels
    supersample: int
    canvas: np.ndarray
    shade: np.ndarray
    spec: np.ndarray
    proj: Projector
    sproj: Projector
    contour: np.ndarray  # the face oval, face units
    chin_drop: float  # how far the open jaw lowers the chin, face units
    zk: float  # 1 / half-width of the face's rounded front
    skin_c: Colour
    hair_c: Colour

    @property
    def k_ss(self) -> float:
        """Canvas pixels -> output pixels."""
        return 1.0 / self.supersample

    @property
    def ratio(self) -> float:
        return self.identity.face_ratio

    def surf_z(self, x: float, y: float) -> float:
        """Depth of the face surface at (x, y)."""
        return surface_depth(x, y, self.zk)

    def surf_zv(self, pts: np.ndarray) -> np.ndarray:
        """Depth of the face surface at (N, 2) points."""
        return surface_depths(pts, self.zk)


def clipped_aus(aus: np.ndarray) -> dict[str, float]:
    """The AU vector as intensities by name, each clipped to [0, 1]."""
    a = np.asarray(aus, dtype=np.float64).reshape(-1)
    if a.shape != (len(AU_NAMES),):
        raise ValueError(f"aus must have {len(AU_NAMES)} entries, got {a.shape}")
    return {name: min(1.0, max(0.0, float(a[i]))) for name, i in AU_INDEX.items()}


def face_context(
    identity: Identity,
    au: dict[str, float],
    size: int,
    pose: Pose,
    lighting: Lighting | None,
    supersample: int,
) -> FaceContext:
    """Empty layers and this head's geometry; nothing is drawn yet."""
    ss = max(1, int(supersample))
    big = size * ss
    ratio = identity.face_ratio
    chin_drop = 0.17 * au["jaw_drop"] + 0.04 * au["lips_part"]
    return FaceContext(
        identity=identity,
        au=au,
        light=lighting if lighting is not None else Lighting(),
        size=size,
        supersample=ss,
        canvas=np.zeros((big, big, 4), dtype=np.uint8),
        shade=np.zeros((size, size), dtype=np.float32),
        spec=np.zeros((size, size), dtype=np.float32),
        proj=Projector(float(big), pose),
        sproj=Projector(float(size), pose),
        contour=face_contour(ratio, identity.jaw_width, chin_drop),
        chin_drop=chin_drop,
        zk=1.0 / (ratio * 1.08),
        skin_c=colour(identity.skin),
        hair_c=colour(identity.hair_color),
    )
