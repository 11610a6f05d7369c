"""The video index: one row per video (and per source row that gave none), with its status."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pandas as pd

DOWNLOADED = "downloaded"
ALREADY_PRESENT = "already present"
REJECTED = "rejected"  # by a filter or a policy (duration, height, scheme); the reason says which
FAILED = "failed"  # could not be fetched or is not a complete video
SKIPPED = "skipped"  # blank, comment or duplicate row, or a video already listed
STATUSES = (DOWNLOADED, ALREADY_PRESENT, REJECTED, FAILED, SKIPPED)
USABLE = (DOWNLOADED, ALREADY_PRESENT)  # rows whose file is in rm_videos; video_id unique here

COLUMNS: dict[str, str] = {
    "video_id": "string",
    "url": "string",  # the video's own page or file
    "source_url": "string",  # the rm_sources row it came from
    "source_row": "Int64",
    "note": "string",
    "title": "string",
    "uploader": "string",
    "duration_s": "float64",
    "fps": "float64",
    "width": "Int64",
    "height": "Int64",
    "frames": "Int64",
    "path": "string",
    "size_bytes": "Int64",
    "sha256": "string",
    "status": "string",
    "error": "string",  # the error or the reason; empty for usable rows
}


def make_table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The rows with every column present and typed, so that an empty or all-failed run still
    writes a parquet file of the same schema."""
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    for name, dtype in COLUMNS.items():
        frame[name] = frame[name].astype(dtype)
    bad = set(frame["status"].dropna()) - set(STATUSES)
    if bad:
        raise ValueError(f"unknown status {sorted(bad)}; expected one of {STATUSES}")
    return frame


def summary_line(index: pd.DataFrame) -> str:
    counts = Counter(index["status"])
    parts = ", ".join(f"{counts.get(s, 0)} {s}" for s in STATUSES)
    return f"collect: {parts} ({len(index)} rows)"
