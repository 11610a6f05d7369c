"""The low-label regime: L train images per class drawn from a benchmark index.

One draw serves every stage that trains on the index (the ial pipeline writes the subsample as
benchmark_index, which acl and evaluate read) and the study (its `labeled_subset` per L and
seed). Validation and test rows are never drawn from: what selects and measures stays fixed.
A benchmark without a validation split (RAF-DB) can have one carved from the train images that
are not drawn (`carve_validation`), as the study does: at small L, a validation split carved
from the L images themselves would be a handful of images choosing the epoch.
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
    validation_per_class: int | None  # carved from train first when there is no validation split
    seed: int

    @classmethod
    def from_dict(cls, params: dict[str, Any]) -> SubsampleParams:
        result = parse(cls, params, SECTION)
        check = Checker(result, SECTION)
        check.integer("labels_per_class", 1, optional=True)
        check.integer("validation_per_class", 1, optional=True)
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


def carve_validation(index: pd.DataFrame, per_class: int, seed: int) -> pd.DataFrame:
    """`per_class` train images of each class become the fixed validation split (the same for
    every L and every draw of L: it depends on `seed` only)."""
    index = index.copy()
    rng = np.random.default_rng([seed, 7])
    for _, rows in index[index["split"] == "train"].groupby("label"):
        chosen = rng.permutation(rows.index.to_numpy())[:per_class]
        index.loc[chosen, "split"] = "validation"
    return index


def subsample_train(benchmark: pd.DataFrame, params: SubsampleParams) -> pd.DataFrame:
    """`labeled_subset` by the parameters (labels_per_class None: the index as it is), after
    carving `validation_per_class` when the benchmark has no validation split; stops with the
    class and its count when a class has too few train images (the study's own draw would
    silently give that class fewer than the others)."""
    labels_per_class, key = params.labels_per_class, f"{SECTION}.labels_per_class"
    if labels_per_class is None:
        return benchmark
    carve = params.validation_per_class
    if carve is not None and (benchmark["split"] == "validation").any():
        carve = None  # the benchmark's own validation split is kept as it is
    counts = benchmark[benchmark["split"] == "train"].groupby("label").size()
    short = counts[counts < labels_per_class + (carve or 0)]
    if not short.empty:
        label, count = int(short.index[0]), int(short.iloc[0])
        name = CANONICAL_LABELS[label] if 0 <= label < len(CANONICAL_LABELS) else str(label)
        wanted = f"{key} = {labels_per_class}" + (
            f" plus {SECTION}.validation_per_class = {carve}" if carve else ""
        )
        raise ParameterError(
            f"{wanted}, but class {label} ({name}) has only {count} train images; set {key} "
            f"to at most {int(counts.min()) - (carve or 0)}, or null for every image"
        )
    if carve is not None:
        benchmark = carve_validation(benchmark, carve, params.seed)
    return labeled_subset(benchmark, labels_per_class, params.seed)
