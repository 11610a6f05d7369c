"""The comparison as data: evaluation.json (everything), metrics.json (the headline numbers, for
`dvc metrics show` and the report's tables) and the tables behind `dvc plots show`."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from rmfer.errors import InputError
from rmfer.reporting.embedding import tsne_2d
from rmfer.reporting.params import EvaluateParams
from rmfer.reporting.schema import (
    DIGITS,
    FACETRACK_KEYS,
    HEADLINE_KEYS,
    MINING_KINDS,
    MINING_SIDES,
    MODEL_TITLES,
    EmbeddingInfo,
    Evaluation,
    FacetrackFigures,
    HeadlineModel,
    Metrics,
    MiningQuality,
    ModelEntry,
    ModelResult,
    StageSeconds,
    mining_key,
)


def rounded(value: Any) -> float | None:
    """A metric as metrics.json and the report show it (None stays None, NaN becomes None)."""
    if value is None:
        return None
    value = float(value)
    return None if np.isnan(value) else round(value, DIGITS)


def embed_models(
    results: Sequence[ModelResult], params: EvaluateParams
) -> tuple[dict[str, pd.DataFrame], EmbeddingInfo]:
    """t-SNE coordinates of each trained model's test vectors, and how they were made."""
    started = time.perf_counter()
    tables: dict[str, pd.DataFrame] = {}
    for result in results:
        if not result.trained:
            continue
        vectors = result.features if params.embedding.space == "features" else result.embeddings
        table = tsne_2d(
            vectors,
            result.labels,
            params.embedding.perplexity,
            params.embedding.max_samples,
            params.seed,
            params.embedding.threads,
        )
        names = np.asarray(result.label_names)
        tables[result.name] = table.assign(**{"class": names[table["label"].to_numpy()]})
    info: EmbeddingInfo = {
        "method": "t-SNE",
        "space": params.embedding.space,
        "perplexity": params.embedding.perplexity,
        "samples": {name: len(table) for name, table in tables.items()},
        "seconds": round(time.perf_counter() - started, 1),
    }
    return tables, info


def model_entry(result: ModelResult, stage_metrics: dict[str, Any]) -> ModelEntry:
    """One model's row of evaluation.json: how it was trained and what it scores."""
    if not result.trained:
        return {"trained": False, "reason": result.reason}
    params = result.info.get("params", {})
    return {  # type: ignore[typeddict-item]  # the metrics' keys are TrainedModel's
        "trained": True,
        "title": MODEL_TITLES.get(result.name, result.name),
        "stage": result.info.get("stage"),
        "epochs": params.get("epochs"),
        "lambda_att": params.get("lambda_att"),
        "best_epoch": result.info.get("best_epoch"),
        "test_images": len(result.labels),
        "evaluate_seconds": result.seconds,
        "stage_test_accuracy": stage_metrics.get("accuracy"),
        **result.metrics,
    }


def facetrack_figures(
    report: dict[str, Any], quality: dict[str, Any] | None, quality_path: str | None
) -> FacetrackFigures:
    """facetrack's own counts, and its quality against the demo's sidecars when measured."""
    counts = {
        key: report.get(key)
        for key in ("videos", "sampled_frames", "detections", "faces", "persons", "drops")
    }
    if quality is None:
        return {
            "available": False,
            "note": f"not measured: no {quality_path or 'facetrack quality file'} "
            "(facetrack_quality runs on the demo world only)",
            "counts": counts,
        }
    return {
        "available": True,
        "iou": quality.get("iou"),
        "videos_measured": quality.get("videos_measured"),
        "overall": quality.get("overall", {}),
        "counts": counts,
    }


def stage_seconds(
    facetrack_report: dict[str, Any],
    ial_metrics: dict[str, Any],
    baseline_metrics: dict[str, Any],
    acl_metrics: dict[str, Any],
    control_metrics: dict[str, Any],
    evaluate_seconds: float,
) -> list[StageSeconds]:
    """Each stage's time as its outputs record it, and where it came from (or that it is not)."""
    per_video = facetrack_report.get("per_video", {}).values()
    timed = [v["seconds"] for v in per_video if isinstance(v.get("seconds"), (int, float))]
    videos = facetrack_report.get("videos", {})
    mining = acl_metrics.get("mining_quality", {})
    not_recorded = "not recorded by the stage"
    return [
        {"stage": "synth", "seconds": None, "source": not_recorded},
        {"stage": "collect", "seconds": None, "source": not_recorded},
        {
            "stage": "facetrack",
            "seconds": round(sum(timed), 1) if timed else None,
            "source": "facetrack_report.json: sum of per-video seconds "
            f"({videos.get('done', 0)} done, {videos.get('skipped', 0)} skipped in its last run)",
        },
        {"stage": "facetrack_quality", "seconds": None, "source": not_recorded},
        {
            "stage": "ial",
            "seconds": ial_metrics.get("seconds"),
            "source": "ial_metrics.json seconds"
            if "seconds" in ial_metrics
            else "not recorded (ial_metrics.json has no seconds)",
        },
        {
            "stage": "ial (baseline)",
            "seconds": baseline_metrics.get("seconds"),
            "source": "baseline_metrics.json seconds"
            if "seconds" in baseline_metrics
            else "not trained",
        },
        {
            "stage": "acl (mining quality)",
            "seconds": mining.get("seconds"),
            "source": "acl_metrics.json mining_quality.seconds"
            if "seconds" in mining
            else "not measured",
        },
        {
            "stage": "acl",
            "seconds": acl_metrics.get("seconds"),
            "source": "acl_metrics.json seconds",
        },
        {
            "stage": "acl (control)",
            "seconds": control_metrics.get("seconds"),
            "source": "control_metrics.json seconds"
            if "seconds" in control_metrics
            else "not trained",
        },
        {
            "stage": "evaluate",
            "seconds": round(evaluate_seconds, 1),
            "source": "evaluate: inference of each model and the t-SNE",
        },
    ]


def run_parameters(
    results: Sequence[ModelResult], facetrack_report: dict[str, Any], params: EvaluateParams
) -> dict[str, Any]:
    """The parameters the artifacts were made with, as the artifacts record them."""
    by_name = {r.name: r for r in results}
    ial = by_name["ial"].info.get("params", {}) if "ial" in by_name else {}
    parameters: dict[str, Any] = {
        "facetrack": {
            key: facetrack_report.get(key) for key in ("detector", "sample_rate_hz", "params_hash")
        },
        "ial": ial,
    }
    baseline = by_name.get("baseline")
    if baseline is not None and baseline.trained:
        own = baseline.info.get("params", {})
        parameters["baseline"] = {k: v for k, v in own.items() if ial.get(k) != v}
    acl = by_name["acl"].info.get("params", {}) if "acl" in by_name else {}
    if "acl" in by_name:
        parameters["acl"] = acl
    control = by_name.get("control")
    if control is not None and control.trained:
        own = control.info.get("params", {})
        parameters["control"] = {k: v for k, v in own.items() if acl.get(k) != v}
    parameters["evaluate"] = params.to_dict()
    return parameters


def headline_model(entry: ModelEntry) -> HeadlineModel:
    """One model's numbers in metrics.json: HEADLINE_KEYS and the recall per class, rounded."""
    if not entry["trained"]:
        return {"trained": False}
    return {  # type: ignore[return-value]  # HEADLINE_KEYS are TrainedHeadline's keys
        "trained": True,
        **{key: rounded(entry.get(key)) for key in HEADLINE_KEYS},
        "per_class_recall": {
            label: rounded(value) for label, value in entry["per_class_recall"].items()
        },
    }


def headline_metrics(evaluation: Evaluation) -> Metrics:
    """metrics.json: the numbers of the report's tables, rounded as the report prints them."""
    metrics: dict[str, Any] = {
        "models": {name: headline_model(entry) for name, entry in evaluation["models"].items()}
    }
    facetrack = evaluation["facetrack"]
    if facetrack["available"]:
        metrics["facetrack"] = {
            key: rounded(facetrack["overall"][key])
            for key in FACETRACK_KEYS
            if key in facetrack["overall"]
        }
    mining = evaluation["mining"]
    if mining.get("available"):
        figures = mining["ial_model"]
        metrics["mining"] = {
            mining_key(side, kind): rounded(figures[kind][side]["precision"])
            for side in MINING_SIDES
            for kind in MINING_KINDS
        }
    metrics["seconds"] = {
        row["stage"]: round(float(row["seconds"]), 1)
        for row in evaluation["stage_seconds"]
        if row["seconds"] is not None
    }
    return metrics  # type: ignore[return-value]  # built in metrics.json's key order


def plot_tables(
    results: Sequence[ModelResult],
) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    """Per trained model: (actual, predicted) per test image, and recall per class."""
    confusion: dict[str, pd.DataFrame] = {}
    recall: dict[str, pd.DataFrame] = {}
    for result in results:
        if not result.trained:
            continue
        names = np.asarray(result.label_names)
        confusion[result.name] = pd.DataFrame(
            {"actual": names[result.labels], "predicted": names[result.predicted]}
        )
        recall[result.name] = pd.DataFrame(
            {
                "class": list(result.metrics["per_class_recall"]),
                "recall": [rounded(v) for v in result.metrics["per_class_recall"].values()],
            }
        )
    return confusion, recall


def build_evaluation(
    results: Sequence[ModelResult],
    stage_metrics: dict[str, dict[str, Any]],
    facetrack_report: dict[str, Any],
    facetrack_quality: dict[str, Any] | None,
    embedding: EmbeddingInfo,
    params: EvaluateParams,
) -> Evaluation:
    """evaluation.json: per model everything measured, and the run's context for the report."""
    trained = [r for r in results if r.trained]
    if not trained:
        raise InputError("no trained model to evaluate")
    evaluate_seconds = sum(r.seconds for r in results) + embedding.get("seconds", 0.0)
    acl_metrics = stage_metrics.get("acl", {})
    no_mining: MiningQuality = {"available": False, "note": "no acl metrics"}
    return {
        "dataset": acl_metrics.get("dataset") or stage_metrics.get("ial", {}).get("dataset"),
        "test_images": len(trained[0].labels),
        "label_names": trained[0].label_names,
        "models": {r.name: model_entry(r, stage_metrics.get(r.name, {})) for r in results},
        "embedding": embedding,
        "facetrack": facetrack_figures(
            facetrack_report, facetrack_quality, params.facetrack_quality
        ),
        "mining": acl_metrics.get("mining_quality", no_mining),
        "stage_seconds": stage_seconds(
            facetrack_report,
            stage_metrics.get("ial", {}),
            stage_metrics.get("baseline", {}),
            acl_metrics,
            stage_metrics.get("control", {}),
            evaluate_seconds,
        ),
        "parameters": run_parameters(results, facetrack_report, params),
    }
