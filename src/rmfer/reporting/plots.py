"""The report's figures (matplotlib's object API on an Agg canvas: no display, and
the global pyplot backend is left alone, so a notebook keeps its own).

Every figure has a title, labelled axes and class names, and only panels with data: a model
that was not trained gets no panel.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from rmfer.reporting.schema import Evaluation, trained_models

PANEL = 4.2  # inches per panel


def _figure(panels: int, title: str, height: float = PANEL) -> tuple[Figure, list[Any]]:
    figure = Figure(figsize=(PANEL * panels + 0.6, height + 0.6), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, panels, squeeze=False)[0].tolist()
    figure.suptitle(title, fontsize=13)
    return figure, axes


def _matrix_panel(
    axis: Any, matrix: np.ndarray, names: list[str], cells: np.ndarray, xlabel: str, ylabel: str
) -> Any:
    image = axis.imshow(matrix, vmin=0.0, vmax=1.0, cmap="Blues")
    ticks = np.arange(len(names))
    axis.set_xticks(ticks, names, rotation=45, ha="right")
    axis.set_yticks(ticks, names)
    axis.set_xlabel(xlabel)
    axis.set_ylabel(ylabel)
    for row in range(matrix.shape[0]):
        for column in range(matrix.shape[1]):
            colour = "white" if matrix[row, column] > 0.6 else "black"
            axis.text(
                column, row, cells[row, column], ha="center", va="center", fontsize=7, color=colour
            )
    return image


def confusion_figure(evaluation: Evaluation) -> Figure:
    """Row-normalised confusion matrices (recall on the diagonal), counts in the cells."""
    models = trained_models(evaluation)
    names = evaluation["label_names"]
    figure, axes = _figure(
        len(models),
        "Confusion matrices on the test split (rows: true class, normalised; cells: counts)",
    )
    image = None
    for axis, (_, entry) in zip(axes, models, strict=True):
        counts = np.asarray(entry["confusion_matrix"], dtype=float)
        normalised = counts / counts.sum(1, keepdims=True).clip(min=1)
        image = _matrix_panel(
            axis, normalised, names, counts.astype(int).astype(str), "predicted class", "true class"
        )
        axis.set_title(
            f"{entry['title']}\naccuracy {entry['accuracy']:.3f}, "
            f"mean class acc. {entry['mean_class_accuracy']:.3f}",
            fontsize=10,
        )
    figure.colorbar(image, ax=axes, shrink=0.8, label="fraction of the true class")
    return figure


def attention_figure(evaluation: Evaluation) -> Figure:
    """Mean attention mass a sample of each class puts on each class (rows sum to 1)."""
    models = [(n, e) for n, e in trained_models(evaluation) if "attention_matrix" in e]
    names = evaluation["label_names"]
    figure, axes = _figure(
        len(models),
        "Inter-sample attention on the test split\n"
        "(row: the sample's class; mass on the diagonal = attention to the same expression)",
    )
    image = None
    for axis, (_, entry) in zip(axes, models, strict=True):
        matrix = np.asarray(entry["attention_matrix"], dtype=float)
        cells = np.vectorize(lambda v: f"{v:.2f}")(matrix)
        image = _matrix_panel(axis, matrix, names, cells, "attended class", "sample's class")
        axis.set_title(
            f"{entry['title']}\ndiagonal mass {entry['attention_diagonal_mass']:.3f}", fontsize=10
        )
    figure.colorbar(image, ax=axes, shrink=0.8, label="mean attention mass")
    return figure


def embedding_figure(evaluation: Evaluation, tables: Mapping[str, pd.DataFrame]) -> Figure:
    """t-SNE of the test vectors, one panel per model, coloured by the true label."""
    models = [(n, e) for n, e in trained_models(evaluation) if n in tables]
    names = evaluation["label_names"]
    info = evaluation["embedding"]
    figure, axes = _figure(
        len(models),
        f"2-D t-SNE of test {info['space']} coloured by label (perplexity {info['perplexity']:g})",
        height=PANEL + 0.4,
    )
    colours = matplotlib.colormaps["tab10"].colors
    for axis, (name, entry) in zip(axes, models, strict=True):
        table = tables[name]
        for label, label_name in enumerate(names):
            rows = table[table["label"] == label]
            if len(rows):
                axis.scatter(
                    rows["x"],
                    rows["y"],
                    s=9,
                    alpha=0.75,
                    color=colours[label % 10],
                    label=label_name,
                    linewidths=0,
                )
        axis.set_title(f"{entry['title']} ({len(table)} test images)", fontsize=10)
        axis.set_xlabel("t-SNE 1")
        axis.set_ylabel("t-SNE 2")
        axis.set_xticks([])
        axis.set_yticks([])
    handles, labels = axes[-1].get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside right center", title="true label", markerscale=2)
    return figure


def recall_figure(evaluation: Evaluation) -> Figure:
    """Recall of each class, the models side by side."""
    models = trained_models(evaluation)
    names = evaluation["label_names"]
    figure, (axis,) = _figure(1, "Recall per class on the test split", height=PANEL)
    figure.set_size_inches(max(7.0, 1.1 * len(names) + 2), PANEL + 0.6)
    width = 0.8 / len(models)
    positions = np.arange(len(names))
    for k, (_, entry) in enumerate(models):
        recall = [entry["per_class_recall"].get(n, np.nan) for n in names]
        axis.bar(
            positions + (k - (len(models) - 1) / 2) * width,
            recall,
            width,
            label=f"{entry['title']} (mean {entry['mean_class_accuracy']:.3f})",
        )
    axis.set_xticks(positions, names, rotation=30, ha="right")
    axis.set_xlabel("class")
    axis.set_ylabel("recall")
    axis.set_ylim(0, 1.18)  # room for the legend above the bars
    axis.grid(axis="y", alpha=0.3)
    axis.legend(loc="upper center", ncols=len(models), fontsize=8)
    return figure


def similarity_figure(evaluation: Evaluation) -> Figure:
    """Mean cosine of z over same-label and different-label test pairs, per model."""
    models = [(n, e) for n, e in trained_models(evaluation) if "similarity_same" in e]
    figure, (axis,) = _figure(1, "Learned similarity: same- vs different-label test pairs")
    figure.set_size_inches(max(6.0, 2.2 * len(models) + 2), PANEL + 0.6)
    positions = np.arange(len(models))
    same = [e["similarity_same"] for _, e in models]
    different = [e["similarity_different"] for _, e in models]
    bars_same = axis.bar(positions - 0.2, same, 0.4, label="same label", color="tab:green")
    bars_diff = axis.bar(positions + 0.2, different, 0.4, label="different label", color="tab:red")
    axis.bar_label(bars_same, fmt="%.3f", fontsize=8)
    axis.bar_label(bars_diff, fmt="%.3f", fontsize=8)
    axis.set_xticks(positions, [e["title"] for _, e in models])
    axis.set_xlabel("model")
    axis.set_ylabel("mean cos(z_i, z_j)")
    axis.axhline(0, color="black", linewidth=0.6)
    top = max([1.0, *same, *different])
    axis.set_ylim(top=top * 1.2)  # room for the legend above the bars
    axis.legend(loc="upper center", ncols=2, fontsize=8)
    return figure


def report_figures(
    evaluation: Evaluation, embedding: Mapping[str, pd.DataFrame]
) -> dict[str, Figure]:
    """Every figure of the report, by file name."""
    return {
        "confusion.png": confusion_figure(evaluation),
        "attention.png": attention_figure(evaluation),
        "embedding.png": embedding_figure(evaluation, embedding),
        "per_class_recall.png": recall_figure(evaluation),
        "similarity.png": similarity_figure(evaluation),
    }
