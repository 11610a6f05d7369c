"""Thin nodes over `rmfer.faces`."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pandas as pd

from rmfer.faces.params import EvaluationParams, FacetrackParams
from rmfer.faces.quality_vs_truth import quality_report
from rmfer.faces.stage import run_facetrack

logger = logging.getLogger(__name__)


def track_faces(
    rm_video_index: pd.DataFrame, rm_videos: dict[str, Callable[[], bytes]], params: dict[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any], dict[str, Any]]:
    """Faces of every usable video: the face table, the sampled frames, the report.

    The crops stream into one shard per video in `params.faces_dir` (the `rm_faces` folder)
    while the video is decoded, so, as collect does with the videos, the node hands the catalog
    an empty dict for `rm_faces`: it saves nothing and only declares the folder as this node's
    output. Likewise `rm_videos` is an input for the lineage (collect -> rm_videos -> facetrack)
    and is never loaded: each video is decoded straight from the path the index gives.
    With `facetrack.executor` set to `local:N` or a Dask scheduler's address, this node is the
    driver: the videos run as Dask tasks and their tables are gathered here.
    """
    del rm_videos
    result = run_facetrack(rm_video_index, FacetrackParams.from_dict(params))
    return result.tracks, result.frames, {}, result.report


def measure_facetrack_quality(
    face_tracks: pd.DataFrame,
    facetrack_frames: pd.DataFrame,
    demo_video_truth: dict[str, Callable[[], pd.DataFrame]],
    params: dict[str, Any],
) -> dict[str, Any]:
    """Recall, precision, purity and ids per reactor against the demo world's sidecars.

    For measurement only, and only where a sidecar exists: this node is a pipeline of its own
    (`facetrack_quality`), so environments without a ground truth never run it.
    """
    iou = EvaluationParams.from_dict(params).iou
    report = quality_report(face_tracks, facetrack_frames, demo_video_truth, float(iou))
    overall = report.get("overall")
    if overall:
        logger.info(
            "facetrack quality (%d videos, IoU >= %.2f): recall %.4f (%.4f without looking-away "
            "and occluded faces), precision %.4f, purity min %.4f, %.3f ids per reactor",
            report["videos_measured"],
            report["iou"],
            overall["recall"],
            overall["recall_without_away_occluded"],
            overall["precision"],
            overall["purity_min"] or 0.0,
            overall["ids_per_reactor"] or 0.0,
        )
    else:
        logger.warning("facetrack quality: %s", report["note"])
    return report
