"""Reaction mashup videos fetched with yt-dlp, probed with PyAV and indexed; no Kedro here."""

from rmfer.collect.collector import CollectError, collect_videos
from rmfer.collect.index import STATUSES, USABLE, summary_line
from rmfer.collect.params import CollectParams

__all__ = [
    "STATUSES",
    "USABLE",
    "CollectError",
    "CollectParams",
    "collect_videos",
    "summary_line",
]
