"""Thin nodes over `rmfer.data` and `rmfer.training`."""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from rmfer.data.check import check_images
from rmfer.data.index import validate_index
from rmfer.training.ial.runs import train_run

logger = logging.getLogger(__name__)


def index_benchmark(benchmark: pd.DataFrame) -> pd.DataFrame:
    """The reader's index (the catalog's benchmark dataset ran it), checked and persisted."""
    classes = validate_index(benchmark)
    check_images(benchmark)  # a broken image stops the run here, not when its batch comes up
    counts = benchmark.groupby(["split", "label"]).size().unstack(fill_value=0)
    logger.info(
        "Benchmark index: %d images, %d classes; per split and label:\n%s",
        len(benchmark),
        classes,
        counts,
    )
    return benchmark.reset_index(drop=True)


def train_ial_model(
    benchmark_index: pd.DataFrame, params: dict[str, Any], run: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """One training run on the benchmark (`ial` with the run block's changes): the checkpoint
    and its metrics; or, when the run's `train` is false, a marker that evaluate reports as
    "not trained"."""
    return train_run(benchmark_index, params, run)
