"""The prediction table of one input, and what the summary line says about it.

Probability columns are `p_<class>` in lower case, the names the demo sidecars use, so a table
and a sidecar can be compared column for column.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

BOX = ("x1", "y1", "x2", "y2")


def prob_column(label: str) -> str:
    return f"p_{label.lower()}"


def prediction_table(
    input_name: str, tracks: pd.DataFrame, probs: np.ndarray, labels: tuple[str, ...]
) -> pd.DataFrame:
    """One row per kept face: where and when it is, who it is, and what it shows."""
    if len(tracks) != len(probs):
        raise ValueError(f"{len(tracks)} faces but {len(probs)} probability rows")
    table = pd.DataFrame(
        {
            "input": pd.Series([input_name] * len(tracks), dtype="string"),
            "frame_idx": tracks["frame_idx"].to_numpy(np.int64),
            "time_s": tracks["time_s"].to_numpy(np.float64),
            "person_id": tracks["person_id"].to_numpy(np.int64),
            **{c: tracks[c].to_numpy(np.float32) for c in BOX},
            "score": tracks["score"].to_numpy(np.float32),
        }
    )
    probs = np.asarray(probs, np.float32).reshape(len(tracks), len(labels))
    for k, label in enumerate(labels):
        table[prob_column(label)] = probs[:, k]
    names = np.array(labels, dtype=object)
    table["label"] = pd.Series(names[probs.argmax(axis=1)] if len(probs) else [], dtype="string")
    return table


def probabilities(table: pd.DataFrame, labels: tuple[str, ...]) -> np.ndarray:
    return table[[prob_column(label) for label in labels]].to_numpy(np.float64)


def dominant_per_person(table: pd.DataFrame, labels: tuple[str, ...]) -> dict[int, str]:
    """Each person's class of highest mean probability over all their faces."""
    out: dict[int, str] = {}
    for person, rows in table.groupby("person_id", sort=True):
        out[int(person)] = labels[int(probabilities(rows, labels).mean(axis=0).argmax())]
    return out


def summary_line(
    name: str, kind: str, frames: int, table: pd.DataFrame, labels: tuple[str, ...], most: int = 9
) -> str:
    """`clip.mp4 (video): 150 frames, 612 faces, 4 persons; dominant: #0 Happiness, ...`."""
    dominant = dominant_per_person(table, labels)
    persons = ", ".join(f"#{p} {label}" for p, label in list(dominant.items())[:most])
    if len(dominant) > most:
        persons += f", ... ({len(dominant) - most} more)"
    what = f"{frames} frame{'s' if frames != 1 else ''}, " if kind == "video" else ""
    line = f"{name} ({kind}): {what}{len(table)} faces, {len(dominant)} persons"
    return f"{line}; dominant: {persons}" if dominant else f"{line}; no face found"
