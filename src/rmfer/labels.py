"""The canonical expression label order (AffectNet's), shared by every reader and model.

Also the providers' own numberings that map onto it (docs/data-formats.md).
"""

from __future__ import annotations

from rmfer.errors import InputError, ParameterError

CANONICAL_LABELS: tuple[str, ...] = (
    "Neutral",
    "Happiness",
    "Sadness",
    "Surprise",
    "Fear",
    "Disgust",
    "Anger",
    "Contempt",
)
"""Index = canonical id. The 7-class setting uses the first seven."""

LABEL_ALIASES: dict[str, str] = {
    "neutral": "Neutral",
    "happiness": "Happiness",
    "happy": "Happiness",
    "sadness": "Sadness",
    "sad": "Sadness",
    "surprise": "Surprise",
    "surprised": "Surprise",
    "fear": "Fear",
    "fearful": "Fear",
    "disgust": "Disgust",
    "disgusted": "Disgust",
    "anger": "Anger",
    "angry": "Anger",
    "contempt": "Contempt",
}

RAFDB_TO_CANONICAL: dict[int, int] = {1: 3, 2: 4, 3: 5, 4: 1, 5: 2, 6: 6, 7: 0}
"""RAF-DB's ids 1..7 (Surprise, Fear, Disgust, Happiness, Sadness, Anger, Neutral)."""

LABEL_ORDERS: dict[str, dict[int, int]] = {
    "canonical": {k: k for k in range(len(CANONICAL_LABELS))},
    "affectnet": {k: k for k in range(len(CANONICAL_LABELS))},  # the canonical order is AffectNet's
    "rafdb": RAFDB_TO_CANONICAL,
}
"""Class ids as a provider numbers them -> canonical ids, for folders named by id."""


def label_names(num_classes: int) -> tuple[str, ...]:
    """The first `num_classes` canonical names (7 or 8)."""
    if num_classes not in (7, 8):
        raise ParameterError(f"num_classes must be 7 or 8, got {num_classes!r}")
    return CANONICAL_LABELS[:num_classes]


def canonical_id(name: str) -> int:
    """Map a class name (any case, common synonyms) to its canonical id."""
    key = name.strip().lower()
    if key not in LABEL_ALIASES:
        allowed = ", ".join(sorted(LABEL_ALIASES))
        raise InputError(f"unknown expression name {name!r}; allowed (any case): {allowed}")
    return CANONICAL_LABELS.index(LABEL_ALIASES[key])


def canonical_from_id(raw_id: int, label_order: str) -> int:
    """Map a provider's class id to the canonical id, in the provider's `label_order`."""
    if label_order not in LABEL_ORDERS:
        raise ParameterError(
            f"unknown label_order {label_order!r}; allowed: {sorted(LABEL_ORDERS)}"
        )
    order = LABEL_ORDERS[label_order]
    if raw_id not in order:
        raise InputError(
            f"class id {raw_id} is not in label_order {label_order!r} "
            f"(ids {min(order)}..{max(order)})"
        )
    return order[raw_id]
