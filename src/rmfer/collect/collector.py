"""The collect stage: source rows -> videos on disk -> the index, resumable and recorded.

Two passes. First every source row is expanded (a playlist, channel or search into its videos:
`expand`); then every video is de-duplicated, checked against the archive, fetched, probed,
filtered and moved into place (`fetch`). One bad video is a row in the index, never the end of
the run; the run fails only when not one video is usable, and then its message lists every row's
reason.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from rmfer.collect import index as ix
from rmfer.collect.expand import expand_sources
from rmfer.collect.fetch import fetch_all
from rmfer.collect.params import CollectParams
from rmfer.collect.run import Run
from rmfer.collect.sources import parse_sources
from rmfer.errors import StageError
from rmfer.files import warn_orphans


class CollectError(StageError):
    """Not one video could be collected; the message lists each row's reason."""


def collect_videos(
    sources: pd.DataFrame, params: CollectParams, origin: str = "rm_sources"
) -> pd.DataFrame:
    """Fetch every source row's videos into `params.videos_dir` and return the index.

    `origin` names the source list in messages (a file path or a catalog entry).
    """
    if len(sources) == 0:
        raise CollectError(
            f"{origin} has no rows: add one URL, playlist, channel or ytsearchN:<query> a row"
        )
    rows, problems = parse_sources(sources, params.allow_local_files, origin)
    videos_dir = Path(params.videos_dir)
    videos_dir.mkdir(parents=True, exist_ok=True)
    run = Run.start(params, videos_dir)
    try:
        expand_sources(run, rows)
        fetch_all(run)
    finally:
        run.close()
    refused = [
        {
            "source_url": p.url,
            "source_row": p.row,
            "note": p.note,
            "status": p.status,
            "error": p.reason,
        }
        for p in problems
    ]
    table = ix.make_table(refused + run.rows)
    table = table.sort_values("source_row", kind="stable").reset_index(drop=True)
    usable = table["status"].isin(ix.USABLE)
    if not usable.any():
        raise CollectError(_nothing_message(table, origin))
    warn_orphans(
        videos_dir,
        "*.mp4",
        set(table.loc[usable, "video_id"]),
        "rm_sources",
        "and facetrack reads them too",
    )
    return table


def _nothing_message(table: pd.DataFrame, origin: str, limit: int = 50) -> str:
    lines = [
        f"collect: not one video could be collected from {origin} "
        f"({table['source_row'].nunique()} rows). Each row's reason:"
    ]
    for _, r in table.head(limit).iterrows():
        where = r["source_url"] if pd.notna(r["source_url"]) else "(blank)"
        lines.append(f"  row {r['source_row']} {where}: {r['status']}: {r['error']}")
    if len(table) > limit:
        lines.append(f"  ... and {len(table) - limit} more rows")
    lines.append("Fix these rows or the filters (conf/*/parameters_collect.yml) and run again.")
    return "\n".join(lines)
