"""The study's report (Markdown) and its plot: test accuracy against labels per class."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import ScalarFormatter

from rmfer.study.params import StudyParams
from rmfer.study.stats import (
    PairedDifference,
    choose_on_validation,
    paired_differences,
    runs_table,
    summary,
)

SHOWN = (
    ("mean_class_accuracy", "MCA (labels)"),
    ("accuracy", "acc (labels)"),
    ("mean_class_accuracy_truth", "MCA (truth)"),
    ("accuracy_truth", "acc (truth)"),
    ("feature_spearman", "feature rho"),
)


def _pm(mean: float, sd: float) -> str:
    if math.isnan(mean):
        return "-"
    return f"{mean:.3f}" if math.isnan(sd) else f"{mean:.3f} +- {sd:.3f}"


def _interval(d: PairedDifference) -> str:
    if math.isnan(d.low):
        return f"{d.mean:+.3f} (n={d.seeds}, no interval)"
    return f"{d.mean:+.3f} [{d.low:+.3f}, {d.high:+.3f}] sd {d.sd:.3f} (n={d.seeds})"


def render_report(records: list[dict[str, Any]], params: StudyParams, world: dict[str, Any]) -> str:
    """The Markdown report: the world, the choices made on validation, the table, the
    paired differences against the control and the time the runs took."""
    table = runs_table(records)
    chosen, picks = choose_on_validation(table, params.metric)
    arms = [arm for arm in params.arms if arm in set(table["arm"])]
    means = summary(chosen, arms)
    lines = [
        "# The method's effect: study",
        "",
        f"World: {world['reactors']} reactors in {world['videos']} videos, "
        f"{world['rm_faces_training']} RM faces for ACL and "
        f"{world['rm_faces'] - world['rm_faces_training']} held out for the feature "
        f"correlation; RM faces {world['faces_from']}. {world['benchmark_images']} labeled "
        "images: L per class drawn from the train pool per seed (nested over L), one fixed "
        "validation split (train identities) for every choice, one fixed test split "
        "(identities of its own).",
        "",
        f"Seeds: {sorted(set(table['seed']))}. Control: `{params.control}`. "
        "Metrics on the test split; MCA = mean class accuracy; labels = the annotators', "
        "truth = the true dominant expression; feature rho = Spearman's rank correlation "
        "between cos(z_i, z_j) and the cosine of the true mixtures over pairs of held-out RM "
        "faces.",
        "",
        "## Chosen on validation",
        "",
        f"Every run keeps its best epoch on validation ({params.metric}). Grid choices "
        "(best mean validation over seeds):",
        "",
        "| arm | L | choice | validation mean |",
        "|---|---|---|---|",
    ]
    for row in picks.itertuples(index=False):
        lines.append(f"| {row.arm} | {row.labels} | {row.choice} | {row.validation_mean:.3f} |")
    lines += ["", "## Mean +- sd over seeds", ""]
    lines += ["| arm | L | n | " + " | ".join(label for _, label in SHOWN) + " |"]
    lines += ["|---|---|---|" + "---|" * len(SHOWN)]
    for row in means.to_dict("records"):
        cells = [_pm(row[f"{key}_mean"], row[f"{key}_std"]) for key, _ in SHOWN]
        count = row[f"{params.metric}_count"]
        lines.append(f"| {row['arm']} | {row['labels']} | {count} | " + " | ".join(cells) + " |")
    lines += _difference_lines(paired_differences(chosen, params.control), params.control)
    lines += _time_lines(table)
    return "\n".join(lines) + "\n"


def _difference_lines(differences: list[PairedDifference], control: str) -> list[str]:
    lines = [
        "",
        f"## Paired differences: arm minus `{control}`",
        "",
        "Per seed, on the same IAL checkpoint; mean [95 % t interval] (scipy.stats.t) and the "
        "seeds' standard deviation of the difference.",
        "",
        "| arm | L | " + " | ".join(label for _, label in SHOWN) + " |",
        "|---|---|" + "---|" * len(SHOWN),
    ]
    cells: dict[tuple[str, int], dict[str, str]] = {}
    for d in differences:
        cells.setdefault((d.arm, d.labels), {})[d.figure] = _interval(d)
    for (arm, labels), row in sorted(cells.items(), key=lambda item: item[0][1]):
        lines.append(f"| {arm} | {labels} | " + " | ".join(row[k] for k, _ in SHOWN) + " |")
    return lines


def _time_lines(table: pd.DataFrame) -> list[str]:
    times = table.groupby(["arm", "labels"])["seconds"].mean().reset_index()
    lines = ["", "## Time per run (s, mean over the runs, IAL training included where it ran)", ""]
    lines += ["| arm | L | seconds |", "|---|---|---|"]
    lines += [f"| {r.arm} | {r.labels} | {r.seconds:.0f} |" for r in times.itertuples()]
    return lines


def plot_accuracy(records: list[dict[str, Any]], params: StudyParams) -> Figure:
    """Test `metric` against labels per class, one line per arm, error bars = sd over seeds."""
    table = runs_table(records)
    chosen, _ = choose_on_validation(table, params.metric)
    means = summary(chosen, params.arms)
    figure = Figure(figsize=(7, 4.5))  # no pyplot: no global state, no display needed
    axes = figure.subplots()
    for arm in params.arms:
        rows = means[means["arm"] == arm].sort_values("labels")
        if rows.empty:
            continue
        axes.errorbar(
            rows["labels"],
            rows[f"{params.metric}_mean"],
            yerr=rows[f"{params.metric}_std"].fillna(0.0),
            marker="o",
            capsize=3,
            label=arm,
        )
    axes.set_xscale("log")
    axes.set_xticks(sorted(set(means["labels"])))
    axes.get_xaxis().set_major_formatter(ScalarFormatter())
    axes.set_xlabel("labels per class (L)")
    axes.set_ylabel(f"test {params.metric.replace('_', ' ')}")
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    return figure
