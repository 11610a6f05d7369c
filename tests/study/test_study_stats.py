"""The study's statistics against independent computations, and the choice on validation."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from rmfer.study.stats import choose_on_validation, paired_differences, summary, t_interval


def table(rows: list[tuple[str, int, int, str, float, float]]) -> pd.DataFrame:
    columns = ["arm", "labels", "seed", "choice", "mean_class_accuracy", "validation_score"]
    frame = pd.DataFrame(rows, columns=columns)
    for figure in ("accuracy", "mean_class_accuracy_truth", "accuracy_truth", "feature_spearman"):
        frame[figure] = frame["mean_class_accuracy"]
    return frame.rename(columns={"validation_score": "validation_mean_class_accuracy"})


def test_t_interval_matches_scipy_paired_t_test():
    arm = np.array([0.61, 0.66, 0.58, 0.70, 0.64])
    control = np.array([0.55, 0.60, 0.57, 0.62, 0.63])
    mean, sd, low, high = t_interval(arm - control)
    expected = scipy_stats.ttest_rel(arm, control).confidence_interval(0.95)
    assert mean == pytest.approx((arm - control).mean())
    assert sd == pytest.approx(np.std(arm - control, ddof=1))
    assert (low, high) == pytest.approx((expected.low, expected.high))


def test_one_seed_gives_no_interval():
    mean, sd, low, high = t_interval(np.array([0.02]))
    assert mean == pytest.approx(0.02)
    assert math.isnan(sd) and math.isnan(low) and math.isnan(high)


def test_paired_differences_pair_by_seed_and_skip_unpaired_seeds():
    runs = table(
        [
            ("control", 10, 0, "-", 0.50, 0.5),
            ("control", 10, 1, "-", 0.40, 0.5),
            ("control", 10, 2, "-", 0.45, 0.5),
            ("acl", 10, 0, "-", 0.55, 0.5),
            ("acl", 10, 1, "-", 0.48, 0.5),
            ("acl", 10, 2, "-", 0.47, 0.5),
            ("acl", 10, 3, "-", 0.99, 0.5),  # no control at seed 3: not paired
        ]
    )
    (result,) = [d for d in paired_differences(runs, "control") if d.figure == "accuracy"]
    diffs = np.array([0.05, 0.08, 0.02])
    half = scipy_stats.t.ppf(0.975, 2) * diffs.std(ddof=1) / np.sqrt(3)
    assert (result.arm, result.labels, result.seeds) == ("acl", 10, 3)
    assert result.mean == pytest.approx(diffs.mean())
    assert (result.low, result.high) == pytest.approx((diffs.mean() - half, diffs.mean() + half))


def test_grid_choice_is_made_on_validation_never_on_test():
    runs = table(
        [
            ("acl", 10, 0, "rho=0.1", 0.90, 0.30),  # best on test, worst on validation
            ("acl", 10, 1, "rho=0.1", 0.90, 0.30),
            ("acl", 10, 0, "rho=0.4", 0.50, 0.60),
            ("acl", 10, 1, "rho=0.4", 0.52, 0.62),
        ]
    )
    chosen, picks = choose_on_validation(runs, "mean_class_accuracy")
    assert picks["choice"].tolist() == ["rho=0.4"]
    assert picks["validation_mean"].tolist() == pytest.approx([0.61])
    assert set(chosen["choice"]) == {"rho=0.4"}
    means = summary(chosen, ["acl"])
    assert means.loc[0, "mean_class_accuracy_mean"] == pytest.approx(0.51)
    assert means.loc[0, "mean_class_accuracy_count"] == 2
