"""The canonical expression label order (AffectNet's), shared by every reader and model."""

from __future__ import annotations

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


def label_names(num_classes: int) -> tuple[str, ...]:
    """The first `num_classes` canonical names (7 or 8)."""
    if num_classes not in (7, 8):
        raise ValueError(f"num_classes must be 7 or 8, got {num_classes!r}")
    return CANONICAL_LABELS[:num_classes]


def canonical_id(name: str) -> int:
    """Map a class name (any case, common synonyms) to its canonical id."""
    key = name.strip().lower()
    if key not in LABEL_ALIASES:
        allowed = ", ".join(sorted(LABEL_ALIASES))
        raise ValueError(f"unknown expression name {name!r}; allowed (any case): {allowed}")
    return CANONICAL_LABELS.index(LABEL_ALIASES[key])
