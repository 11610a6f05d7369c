"""Action-unit-like expression parameters for the procedural face renderer.

The renderer is driven by a short vector of continuous muscle-like intensities rather than by a
class label, so that blends and partial intensities (the continuous variation the method's
contrastive stage is meant to capture) come for free. The prototypes follow FACS/EMFACS
descriptions of the basic emotions.
"""

from __future__ import annotations

import numpy as np

from rmfer.labels import CANONICAL_LABELS

AU_NAMES: tuple[str, ...] = (
    "brow_raise",  # AU1+2: inner and outer brow raiser
    "brow_lower",  # AU4: brows pulled down and together
    "lid_raise",  # AU5: upper lid raiser (whites above the iris)
    "lid_tighten",  # AU7: lids tightened, lower lid raised
    "cheek_raise",  # AU6: cheeks up, lower lid pushed up (Duchenne smile)
    "nose_wrinkle",  # AU9 (+AU10): nose wrinkled, upper lip raised
    "lip_corner_pull",  # AU12: smile
    "lip_corner_depress",  # AU15: corners down
    "lip_stretch",  # AU20: lips stretched sideways, flattened
    "lips_part",  # AU25: lips apart
    "jaw_drop",  # AU26/27: jaw lowered, mouth open
    "lip_corner_unilateral",  # unilateral AU12/AU14: one corner up (contempt)
)
"""Names of the AU vector's entries, in order; each intensity lies in [0, 1]."""

AU_INDEX: dict[str, int] = {name: i for i, name in enumerate(AU_NAMES)}


def _aus(**values: float) -> np.ndarray:
    vec = np.zeros(len(AU_NAMES), dtype=np.float32)
    for name, value in values.items():
        vec[AU_INDEX[name]] = value
    vec.setflags(write=False)  # shared module state: callers get copies via `prototype`
    return vec


PROTOTYPES: dict[str, np.ndarray] = {
    "Neutral": _aus(),
    "Happiness": _aus(cheek_raise=0.9, lip_corner_pull=1.0, lips_part=0.45, jaw_drop=0.1),
    "Sadness": _aus(brow_raise=0.75, brow_lower=0.6, lip_corner_depress=1.0, lid_tighten=0.15),
    "Surprise": _aus(brow_raise=1.0, lid_raise=1.0, lips_part=1.0, jaw_drop=1.0),
    "Fear": _aus(
        brow_raise=0.9,
        brow_lower=0.55,
        lid_raise=1.0,
        lip_stretch=1.0,
        lips_part=0.8,
        jaw_drop=0.35,
    ),
    "Disgust": _aus(
        nose_wrinkle=1.0,
        lid_tighten=0.6,
        lip_corner_depress=0.6,
        brow_lower=0.35,
        lips_part=0.35,
    ),
    "Anger": _aus(brow_lower=1.0, lid_raise=0.55, lid_tighten=0.8, lip_corner_depress=0.2),
    "Contempt": _aus(lip_corner_unilateral=1.0, lid_tighten=0.2),
}
"""One AU vector per canonical expression name (keys in `CANONICAL_LABELS` order)."""

_PROTOTYPE_MATRIX = np.stack([PROTOTYPES[name] for name in CANONICAL_LABELS])


def prototype(name: str) -> np.ndarray:
    """A copy of the AU vector of one canonical expression."""
    if name not in PROTOTYPES:
        allowed = ", ".join(CANONICAL_LABELS)
        raise ValueError(f"unknown expression {name!r}; allowed: {allowed}")
    return PROTOTYPES[name].copy()


def mixture_to_aus(weights: np.ndarray, intensity: float = 1.0) -> np.ndarray:
    """Blend prototypes linearly, so a mixed emotion shows partial features of each component."""
    w = np.asarray(weights, dtype=np.float32)
    if w.shape != (len(CANONICAL_LABELS),):
        raise ValueError(f"weights must have shape ({len(CANONICAL_LABELS)},), got {w.shape}")
    aus = (w @ _PROTOTYPE_MATRIX) * np.float32(intensity)
    return np.clip(aus, 0.0, 1.0).astype(np.float32)
