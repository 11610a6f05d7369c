"""`--min-quality`: which faces predict's tables keep, by the checks facetrack trains on.

Every detected face gets a row whose `quality` names the checks it fails, joined by `+` in a
fixed order (`small`, `blurry`, `profile`, `few_faces`), or `ok`. `--min-quality` is the worst
quality still wanted: `any` keeps every face, `ok` only those facetrack would train on, and a
combination such as `small+profile` also keeps faces whose every flaw is among those named.
"""

from __future__ import annotations

from collections import Counter

import pandas as pd

from rmfer.errors import ParameterError
from rmfer.faces.stream import DROP_REASONS, QUALITY_OK

ANY = "any"
FLAG_SEPARATOR = "+"


def tolerated_flaws(min_quality: str) -> frozenset[str] | None:
    """The flaws a kept face may have; None for `any` (every face is kept)."""
    text = min_quality.strip()
    if text == ANY:
        return None
    if text == QUALITY_OK:
        return frozenset()
    names = [name.strip() for name in text.split(FLAG_SEPARATOR)]
    unknown = [name for name in names if name not in DROP_REASONS]
    if unknown or not names:
        raise ParameterError(
            f"--min-quality {min_quality!r}: {', '.join(map(repr, unknown))} is no quality flag; "
            f"use {ANY}, {QUALITY_OK}, or flags joined by '{FLAG_SEPARATOR}' from "
            f"{', '.join(DROP_REASONS)}"
        )
    return frozenset(names)


def flaws_of(quality: str) -> set[str]:
    return set() if quality == QUALITY_OK else set(quality.split(FLAG_SEPARATOR))


def keep_mask(qualities: pd.Series, min_quality: str) -> pd.Series:
    """True for each row whose quality is at least `min_quality`."""
    tolerated = tolerated_flaws(min_quality)
    if tolerated is None:
        return pd.Series(True, index=qualities.index)
    return qualities.map(lambda q: flaws_of(str(q)) <= tolerated).astype(bool)


def select(table: pd.DataFrame, min_quality: str) -> tuple[pd.DataFrame, Counter[str]]:
    """The rows kept, and how many faces of each quality were left out."""
    keep = keep_mask(table["quality"], min_quality)
    dropped = Counter(table.loc[~keep, "quality"].astype(str).tolist())
    return table[keep].reset_index(drop=True), dropped
