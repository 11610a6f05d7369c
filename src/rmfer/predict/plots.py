"""The timeline of a video: each person's class probabilities over time, one panel per person."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display on a server or in CI

import matplotlib.pyplot as plt
import pandas as pd

from rmfer.files import replace_atomically
from rmfer.predict.table import dominant_per_person, probabilities

CLASS_COLOURS = plt.get_cmap("tab10").colors


def timeline_plot(table: pd.DataFrame, labels: tuple[str, ...], title: str, path: Path) -> Path:
    """One row of axes per person, a line per class; a video without faces gets a note."""
    dominant = dominant_per_person(table, labels)
    persons = sorted(dominant)
    rows = max(1, len(persons))
    fig, axes = plt.subplots(
        rows, 1, figsize=(10, 1.5 + 1.7 * rows), sharex=True, squeeze=False, layout="constrained"
    )
    if not persons:
        axes[0, 0].text(0.5, 0.5, "no face found", ha="center", va="center")
        axes[0, 0].set_yticks([])
    for ax, person in zip(axes[:, 0], persons, strict=False):
        rows_of = table[table["person_id"] == person].sort_values("time_s")
        probs = probabilities(rows_of, labels)
        for k, label in enumerate(labels):
            ax.plot(rows_of["time_s"], probs[:, k], color=CLASS_COLOURS[k], lw=1.2, label=label)
        ax.set_ylim(0, 1)
        ax.set_ylabel("probability")
        ax.set_title(f"person #{person} (mostly {dominant[person]})", fontsize=9, loc="left")
        ax.grid(alpha=0.3)
    axes[-1, 0].set_xlabel("time (s)")
    if persons:
        fig.legend(
            *axes[0, 0].get_legend_handles_labels(),
            loc="outside lower center",
            ncol=len(labels),
            fontsize=8,
        )
    fig.suptitle(title)
    path.parent.mkdir(parents=True, exist_ok=True)
    replace_atomically(path, lambda partial: fig.savefig(partial, dpi=100, format="png"))
    plt.close(fig)
    return path
