"""Thin nodes over `rmfer.collect`."""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from rmfer.collect import CollectParams, collect_videos, summary_line

logger = logging.getLogger(__name__)

# How messages name the source list: the node sees a DataFrame, the catalog knows the file.
SOURCES = "rm_sources (the catalog entry's CSV file, see conf/<env>/catalog.yml)"


def collect_rm_videos(
    rm_sources: pd.DataFrame, params: dict[str, Any]
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Fetch every source into the videos folder; return the index and the folder's new partitions.

    yt-dlp streams each video straight into `params.videos_dir` (the `rm_videos` folder), so
    there are no bytes left to hand to the catalog: the empty dict saves nothing (the dataset
    must keep `overwrite: false`) and only declares `rm_videos` as this node's output, so that
    the lineage reads collect -> rm_videos -> facetrack.
    """
    index = collect_videos(rm_sources, CollectParams.from_dict(params), origin=SOURCES)
    logger.info(summary_line(index))
    return index, {}
