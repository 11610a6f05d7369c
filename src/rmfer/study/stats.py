"""The study's statistics: settings chosen on validation, mean +- sd per arm and L, and each
arm's paired difference with the control (per seed) with its 95 % t interval."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

FIGURES = (
    "mean_class_accuracy",
    "accuracy",
    "mean_class_accuracy_truth",
    "accuracy_truth",
    "feature_spearman",
)


def runs_table(records: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per run: arm, L, seed, choice and every figure (test and validation)."""
    rows = []
    for record in records:
        row = {
            "arm": record["arm"],
            "labels": record["labels_per_class"],
            "seed": record["seed"],
            "choice": _choice_text(record.get("choice") or {}),
            "feature_spearman": record["feature_spearman"],
            "seconds": record.get("seconds"),
        }
        row.update(record["test"])
        row.update({f"validation_{k}": v for k, v in record["validation"].items()})
        rows.append(row)
    return pd.DataFrame(rows)


def _choice_text(choice: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(choice.items())) or "-"


def choose_on_validation(table: pd.DataFrame, metric: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per (arm, L), the grid point with the best mean validation `metric` over seeds; the runs
    of the chosen points, and what was chosen (with its validation mean)."""
    key = f"validation_{metric}"
    means = table.groupby(["arm", "labels", "choice"], sort=False)[key].mean().reset_index()
    best = means.loc[means.groupby(["arm", "labels"], sort=False)[key].idxmax()]
    chosen = table.merge(best[["arm", "labels", "choice"]], on=["arm", "labels", "choice"])
    return chosen, best.rename(columns={key: "validation_mean"}).reset_index(drop=True)


def summary(chosen: pd.DataFrame, arms: list[str]) -> pd.DataFrame:
    """Mean, sd (ddof 1) and seed count of every figure, per arm and L, arms in study order."""
    grouped = chosen.groupby(["arm", "labels"])[list(FIGURES)]
    table = grouped.agg(["mean", "std", "count"])
    table.columns = [f"{figure}_{stat}" for figure, stat in table.columns]
    table = table.reset_index()
    table["order"] = table["arm"].map({arm: k for k, arm in enumerate(arms)})
    return table.sort_values(["labels", "order"]).drop(columns="order").reset_index(drop=True)


@dataclass(frozen=True)
class PairedDifference:
    arm: str
    labels: int
    figure: str
    seeds: int
    mean: float
    sd: float
    low: float  # the 95 % t interval; nan with fewer than two seeds
    high: float


def t_interval(differences: np.ndarray, level: float = 0.95) -> tuple[float, float, float, float]:
    """(mean, sd, low, high) of paired differences: mean +- t(n-1) sd / sqrt(n)."""
    n = len(differences)
    mean = float(np.mean(differences)) if n else math.nan
    if n < 2:
        return mean, math.nan, math.nan, math.nan
    sd = float(np.std(differences, ddof=1))
    half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * sd / math.sqrt(n)
    return mean, sd, mean - half, mean + half


def paired_differences(
    chosen: pd.DataFrame, control: str, figures: tuple[str, ...] = FIGURES
) -> list[PairedDifference]:
    """Each arm minus the control, seed by seed on the same IAL checkpoint, per L and figure."""
    base = chosen[chosen["arm"] == control].set_index(["labels", "seed"])
    results = []
    for (arm, labels), rows in chosen[chosen["arm"] != control].groupby(
        ["arm", "labels"], sort=False
    ):
        rows = rows.set_index(["labels", "seed"])
        common = rows.index.intersection(base.index)
        for figure in figures:
            diff = (rows.loc[common, figure] - base.loc[common, figure]).to_numpy(float)
            mean, sd, low, high = t_interval(diff)
            results.append(
                PairedDifference(arm, int(labels), figure, len(diff), mean, sd, low, high)
            )
    return results
