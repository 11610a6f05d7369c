"""Thin nodes over `rmfer.training.acl`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from rmfer.training.acl import AclParams, mining_quality, train_acl


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
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Stage 2 from the IAL weights: the `acl_model` checkpoint and `acl_metrics`.

    `rm_faces` is an input for the lineage (facetrack -> rm_faces -> acl) and is never loaded:
    crops are read by memory map from `params.faces_dir`, the same folder (globals.yml).
    `mining_quality` is only copied into the report.
    """
    del rm_faces
    result = train_acl(face_tracks, benchmark_index, ial_model, AclParams.from_dict(params))
    return result.checkpoint, {**result.metrics, "mining_quality": mining_quality}
