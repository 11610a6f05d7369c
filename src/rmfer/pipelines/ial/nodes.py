"""Thin nodes over `rmfer.data` and `rmfer.training`."""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from rmfer.data.index import validate_index
from rmfer.reporting.baseline import train_baseline
from rmfer.training import IalParams, train_ial

logger = logging.getLogger(__name__)


def index_benchmark(benchmark: pd.DataFrame) -> pd.DataFrame:
    """The reader's index (the catalog's benchmark dataset ran it), checked and persisted."""
    classes = validate_index(benchmark)
    counts = benchmark.groupby(["split", "label"]).size().unstack(fill_value=0)
    logger.info(
        "Benchmark index: %d images, %d classes; per split and label:\n%s",
        len(benchmark),
        classes,
        counts,
    )
    return benchmark.reset_index(drop=True)


def train_ial_model(
    benchmark_index: pd.DataFrame, params: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Stage 1 on the benchmark: the `ial_model` checkpoint and the `ial_metrics` report."""
    result = train_ial(benchmark_index, IalParams.from_dict(params))
    return result.checkpoint, result.metrics


def train_baseline_model(
    benchmark_index: pd.DataFrame, params: dict[str, Any], baseline: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The CE-only reference for the evaluate stage: `ial` with lambda_att = 0, or, when
    `ial_baseline.train` is false, a marker that evaluate reports as "not trained"."""
    return train_baseline(benchmark_index, params, baseline)
