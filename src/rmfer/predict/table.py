"""The prediction table of one input, and what the summary line says about it.

Probability columns are `p_<class>` in lower case, the names the demo sidecars use, so a table
and a sidecar can be compared column for column; with `--smooth`, `smooth_p_<class>` beside
them. `quality` says which of facetrack's checks a face fails (`ok` when none).
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

from rmfer.faces.stream import QUALITY_OK

BOX = ("x1", "y1", "x2", "y2")


def prob_column(label: str) -> str:
    return f"p_{label.lower()}"


def smooth_column(label: str) -> str:
    return f"smooth_{prob_column(label)}"


def prediction_table(
    input_name: str, tracks: pd.DataFrame, probs: np.ndarray, labels: tuple[str, ...]
) -> pd.DataFrame:
    """One row per face: where and when it is, who it is, how good a view, what it shows."""
    if len(tracks) != len(probs):
        raise ValueError(f"{len(tracks)} faces but {len(probs)} probability rows")
    quality = tracks["quality"] if "quality" in tracks else [QUALITY_OK] * len(tracks)
    table = pd.DataFrame(
        {
            "input": pd.Series([input_name] * len(tracks), dtype="string"),
            "frame_idx": tracks["frame_idx"].to_numpy(np.int64),
            "time_s": tracks["time_s"].to_numpy(np.float64),
            "person_id": tracks["person_id"].to_numpy(np.int64),
            **{c: tracks[c].to_numpy(np.float32) for c in BOX},
            "score": tracks["score"].to_numpy(np.float32),
            "quality": pd.Series(np.asarray(quality, dtype=object), dtype="string"),
        }
    )
    probs = np.asarray(probs, np.float32).reshape(len(tracks), len(labels))
    for k, label in enumerate(labels):
        table[prob_column(label)] = probs[:, k]
    names = np.array(labels, dtype=object)
    table["label"] = pd.Series(names[probs.argmax(axis=1)] if len(probs) else [], dtype="string")
    return table


def probabilities(table: pd.DataFrame, labels: tuple[str, ...]) -> np.ndarray:
    """The probabilities `label` comes from: the smoothed ones when the table has them."""
    smoothed = [smooth_column(label) for label in labels]
    columns = smoothed if all(c in table for c in smoothed) else map(prob_column, labels)
    return table[list(columns)].to_numpy(np.float64)


def dominant_per_person(table: pd.DataFrame, labels: tuple[str, ...]) -> dict[int, str]:
    """Each person's class of highest mean probability over all their faces."""
    out: dict[int, str] = {}
    for person, rows in table.groupby("person_id", sort=True):
        out[int(person)] = labels[int(probabilities(rows, labels).mean(axis=0).argmax())]
    return out


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _counts(counts: Counter[str], faces: int) -> str:
    """`profile` for a single face, else `40 profile, 3 small+profile` (most frequent first)."""
    if faces == 1:
        return ", ".join(counts)
    return ", ".join(f"{n} {quality}" for quality, n in counts.most_common())


def summary_line(
    name: str,
    kind: str,
    frames: int,
    table: pd.DataFrame,
    labels: tuple[str, ...],
    dropped: Counter[str] | None = None,
    most: int = 9,
) -> str:
    """`clip.mp4 (video): 150 frames, 612 faces (40 profile), 4 persons; dominant: #0 Happiness`.

    Faces counts every detected face; in brackets the flaws of rows kept in the table, after
    `dropped:` those that --min-quality left out.
    """
    dropped = dropped or Counter()
    faces = len(table) + sum(dropped.values())
    flawed = Counter(q for q in table["quality"].astype(str).tolist() if q != QUALITY_OK)
    what = _plural(frames, "frame") + ", " if kind == "video" else ""
    line = f"{name} ({kind}): {what}{_plural(faces, 'face')}"
    if flawed:
        line += f" ({_counts(flawed, faces)})"
    if dropped:
        line += f", dropped: {_counts(dropped, faces)}"
    if not faces:
        return f"{line}; no face found"
    if not len(table):
        return f"{line}; no face kept"
    dominant = dominant_per_person(table, labels)
    persons = ", ".join(f"#{p} {label}" for p, label in list(dominant.items())[:most])
    if len(dominant) > most:
        persons += f", ... ({len(dominant) - most} more)"
    return f"{line}, {_plural(len(dominant), 'person')}; dominant: {persons}"
