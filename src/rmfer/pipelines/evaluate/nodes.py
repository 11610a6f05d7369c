"""Thin nodes over `rmfer.reporting`."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from rmfer import faults
from rmfer.reporting import EvaluateParams, Evaluation, Metrics, ModelResult, run_on_test_split
from rmfer.reporting.plots import report_figures
from rmfer.reporting.report import render_report
from rmfer.reporting.summary import build_evaluation, embed_models, headline_metrics, plot_tables

logger = logging.getLogger(__name__)


def evaluate_model(
    benchmark_index: pd.DataFrame, checkpoint: dict[str, Any], params: dict[str, Any], name: str
) -> ModelResult:
    """One model (or the not-trained marker) on the test split; the result stays in memory."""
    faults.checkpoint("evaluate_model")  # tests/faults/: killed, earlier models scored
    return run_on_test_split(name, checkpoint, benchmark_index, EvaluateParams.from_dict(params))


def _facetrack_quality(path: str | None) -> dict[str, Any] | None:
    """Demo only: facetrack_quality's file, read by path because that pipeline runs on the demo
    only (as a catalog input, real-data runs would fail for want of it)."""
    if path is None or not Path(path).is_file():
        return None
    return json.loads(Path(path).read_text())


def compare_models(
    baseline: ModelResult,
    ial: ModelResult,
    control: ModelResult,
    acl: ModelResult,
    baseline_metrics: dict[str, Any],
    ial_metrics: dict[str, Any],
    control_metrics: dict[str, Any],
    acl_metrics: dict[str, Any],
    facetrack_report: dict[str, Any],
    params: dict[str, Any],
) -> tuple[
    Evaluation,
    Metrics,
    dict[str, pd.DataFrame],
    dict[str, pd.DataFrame],
    dict[str, pd.DataFrame],
]:
    """evaluation.json, metrics.json, and the plot data (confusion, recall, t-SNE) per model."""
    options = EvaluateParams.from_dict(params)
    results = [baseline, ial, control, acl]  # MODELS' order
    embedding, embedding_info = embed_models(results, options)
    evaluation = build_evaluation(
        results,
        {
            "baseline": baseline_metrics,
            "ial": ial_metrics,
            "control": control_metrics,
            "acl": acl_metrics,
        },
        facetrack_report,
        _facetrack_quality(options.facetrack_quality),
        embedding_info,
        options,
    )
    confusion, recall = plot_tables(results)
    metrics = headline_metrics(evaluation)
    for name, entry in metrics["models"].items():
        if entry["trained"]:
            logger.info(
                "evaluate: %-8s accuracy %.4f, mean class accuracy %.4f",
                name,
                entry["accuracy"],
                entry["mean_class_accuracy"],
            )
    return evaluation, metrics, confusion, recall, embedding


def plot_evaluation(evaluation: Evaluation, embedding: dict[str, Any]) -> dict[str, Figure]:
    """The report's PNGs; `embedding` partitions load lazily when read back from disk."""
    tables = {name: part() if callable(part) else part for name, part in embedding.items()}
    return report_figures(evaluation, tables)


def write_report(evaluation: Evaluation, metrics: Metrics) -> str:
    """report.md, its numbers taken from metrics.json's dict."""
    faults.checkpoint("write_report")  # tests/faults/: killed with figures and plot data written
    return render_report(evaluation, metrics)
