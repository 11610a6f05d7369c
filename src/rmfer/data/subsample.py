"""The low-label regime: L train images per class drawn from a benchmark index.

One draw serves every stage that trains on the index (the ial pipeline writes the subsample as
benchmark_index, which acl and evaluate read) and the study (its `labeled_subset` per L and
seed). Validation and test rows are never drawn from: what selects and measures stays fixed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from rmfer.errors import ParameterError
from rmfer.labels import CANONICAL_LABELS
from rmfer.params import Checker, parse

SECTION = "subsample"


@dataclass(frozen=True)
class SubsampleParams:
    """`subsample:` in conf/base/parameters_ial.yml: which train images benchmark_index keeps."""

    labels_per_class: int | None  # None: every train image
    seed: int

    @classmethod
    def from_dict(cls, params: dict[str, Any]) -> SubsampleParams:
        result = parse(cls, params, SECTION)
        check = Checker(result, SECTION)
        check.integer("labels_per_class", 1, optional=True)
        check.integer("seed", 0)
        return result


def labeled_subset(benchmark: pd.DataFrame, labels_per_class: int, seed: int) -> pd.DataFrame:
    """L train images per class for one seed (nested: L=10 is in L=30 is in L=300), with the
    fixed validation and test splits."""
    keep = benchmark["split"] != "train"
    for label, rows in benchmark[benchmark["split"] == "train"].groupby("label"):
        order = np.random.default_rng([seed, int(label)]).permutation(rows.index.to_numpy())
        keep.loc[order[:labels_per_class]] = True
    return benchmark[keep]


def subsample_train(benchmark: pd.DataFrame, params: SubsampleParams) -> pd.DataFrame:
    """`labeled_subset` by the parameters (labels_per_class None: the index as it is), stopping
    with the class and its count when a class has fewer than L train images (the study's own
    draw would silently give that class fewer than the others)."""
    labels_per_class, key = params.labels_per_class, f"{SECTION}.labels_per_class"
    if labels_per_class is None:
        return benchmark
    counts = benchmark[benchmark["split"] == "train"].groupby("label").size()
    short = counts[counts < labels_per_class]
    if not short.empty:
        label, count = int(short.index[0]), int(short.iloc[0])
        name = CANONICAL_LABELS[label] if 0 <= label < len(CANONICAL_LABELS) else str(label)
        raise ParameterError(
            f"{key} = {labels_per_class}, but class {label} ({name}) has only {count} train "
            f"images; set {key} to at most {int(counts.min())}, or null for every image"
        )
    return labeled_subset(benchmark, labels_per_class, params.seed)
