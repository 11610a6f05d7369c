"""Thin nodes over `rmfer.data` and `rmfer.training`."""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from rmfer.data.check import CheckParams, check_images
from rmfer.data.index import validate_index
from rmfer.data.subsample import SubsampleParams, subsample_train
from rmfer.training.ial.runs import train_run

logger = logging.getLogger(__name__)


def index_benchmark(
    benchmark: pd.DataFrame, check: dict[str, Any], subsample: dict[str, Any]
) -> pd.DataFrame:
    """The reader's index (the catalog's benchmark dataset ran it), checked, its train split
    subsampled to `subsample.labels_per_class` (null: kept whole), and persisted: the one
    labeled set ial, acl and evaluate read."""
    classes = validate_index(benchmark)
    cache_dir = CheckParams.from_dict(check).cache_dir
    check_images(benchmark, cache_dir)  # a broken image stops the run here, not hours in
    index = subsample_train(benchmark, SubsampleParams.from_dict(subsample))
    counts = index.groupby(["split", "label"]).size().unstack(fill_value=0)
    logger.info(
        "Benchmark index: %d images (of %d), %d classes; per split and label:\n%s",
        len(index),
        len(benchmark),
        classes,
        counts,
    )
    return index.reset_index(drop=True)


def train_ial_model(
    benchmark_index: pd.DataFrame, params: dict[str, Any], run: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """One training run on the benchmark (`ial` with the run block's changes): the checkpoint
    and its metrics; or, when the run's `train` is false, a marker that evaluate reports as
    "not trained"."""
    return train_run(benchmark_index, params, run)
