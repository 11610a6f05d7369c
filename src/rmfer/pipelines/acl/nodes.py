"""Thin nodes over `rmfer.training.acl`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from rmfer.training.acl import AclParams, mining_quality
from rmfer.training.acl.runs import train_acl_run


def measure_acl_mining(
    face_tracks: pd.DataFrame, ial_model: dict[str, Any], params: dict[str, Any]
) -> dict[str, Any]:
    """Precision of the mined pairs with and without the prior of the net ACL starts from.

    Demo only: it reads the world's sidecars (`acl.mining_quality.truth_dir`) to measure, and
    nothing of it reaches training. Without a ground truth (real data) it records just that.
    """
    return mining_quality(face_tracks, {"ial_model": ial_model}, AclParams.from_dict(params))


def train_acl_model(
    face_tracks: pd.DataFrame,
    rm_faces: dict[str, Callable[[], bytes]],
    benchmark_index: pd.DataFrame,
    ial_model: dict[str, Any],
    mining_quality: dict[str, Any],
    params: dict[str, Any],
    run: dict[str, Any],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Stage 2 from the IAL weights (`acl` with the run block's changes): the checkpoint and
    its metrics; or, when the run's `train` is false, a marker that evaluate reports as
    "not trained".

    `rm_faces` is an input for the lineage (facetrack -> rm_faces -> acl) and is never loaded:
    crops are read by memory map from `params.faces_dir`, the same folder (globals.yml).
    `mining_quality` is only copied into the metrics of a run that read RM faces (not the
    control's: mu = 0 reads none).
    """
    del rm_faces
    checkpoint, metrics = train_acl_run(face_tracks, benchmark_index, ial_model, params, run)
    if metrics.get("mining", {}).get("rm_faces_read", True):
        metrics = {**metrics, "mining_quality": mining_quality}
    return checkpoint, metrics
