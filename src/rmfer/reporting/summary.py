"""The comparison as data: evaluation.json (everything), metrics.json (the headline numbers, for
`dvc metrics show` and the report's tables) and the tables behind `dvc plots show`."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from rmfer.reporting.embedding import tsne_2d
from rmfer.reporting.evaluation import ModelResult
from rmfer.reporting.params import EvaluateParams

MODEL_TITLES = {
    "baseline": "Baseline (CE only)",
    "ial": "IAL",
    "acl": "IAL + ACL",
}
DIGITS = 4  # metrics.json and the report carry the same rounded numbers
HEADLINE_KEYS = (
    "accuracy",
    "mean_class_accuracy",
    "attention_diagonal_mass",
    "similarity_same",
    "similarity_different",
)
FACETRACK_KEYS = (
    "recall",
    "recall_without_away_occluded",
    "precision",
    "purity_weighted",
    "ids_per_reactor",
)


def rounded(value: Any) -> float | None:
    """A metric as metrics.json and the report show it (None stays None, NaN becomes None)."""
    if value is None:
        return None
    value = float(value)
    return None if np.isnan(value) else round(value, DIGITS)


def embed_models(
    results: Sequence[ModelResult], params: EvaluateParams
) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
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
    info = {
        "method": "t-SNE",
        "space": params.embedding.space,
        "perplexity": params.embedding.perplexity,
        "samples": {name: len(table) for name, table in tables.items()},
        "seconds": round(time.perf_counter() - started, 1),
    }
    return tables, info


def model_entry(result: ModelResult, stage_metrics: dict[str, Any]) -> dict[str, Any]:
    """One model's row of evaluation.json: how it was trained and what it scores."""
    if not result.trained:
        return {"trained": False, "reason": result.reason}
    params = result.info.get("params", {})
    return {
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
) -> dict[str, Any]:
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
    evaluate_seconds: float,
) -> list[dict[str, Any]]:
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
            if baseline_metrics.get("trained")
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
    if "acl" in by_name:
        parameters["acl"] = by_name["acl"].info.get("params", {})
    parameters["evaluate"] = params.to_dict()
    return parameters


def headline_metrics(evaluation: dict[str, Any]) -> dict[str, Any]:
    """metrics.json: the numbers of the report's tables, rounded as the report prints them."""
    models: dict[str, Any] = {}
    for name, entry in evaluation["models"].items():
        if not entry["trained"]:
            models[name] = {"trained": False}
            continue
        models[name] = {
            "trained": True,
            **{key: rounded(entry.get(key)) for key in HEADLINE_KEYS},
            "per_class_recall": {
                label: rounded(value) for label, value in entry["per_class_recall"].items()
            },
        }
    metrics: dict[str, Any] = {"models": models}
    facetrack = evaluation["facetrack"]
    if facetrack["available"]:
        metrics["facetrack"] = {
            key: rounded(facetrack["overall"][key])
            for key in FACETRACK_KEYS
            if key in facetrack["overall"]
        }
    mining = evaluation["mining"]
    if mining.get("available"):
        metrics["mining"] = {
            f"{side}_precision_{kind}": rounded(mining["ial_model"][kind][side]["precision"])
            for side in ("positive", "negative")
            for kind in ("time_only", "prior")
        }
    metrics["seconds"] = {
        row["stage"]: round(float(row["seconds"]), 1)
        for row in evaluation["stage_seconds"]
        if row["seconds"] is not None
    }
    return metrics


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
    embedding: dict[str, Any],
    params: EvaluateParams,
) -> dict[str, Any]:
    """evaluation.json: per model everything measured, and the run's context for the report."""
    trained = [r for r in results if r.trained]
    if not trained:
        raise ValueError("no trained model to evaluate")
    evaluate_seconds = sum(r.seconds for r in results) + embedding.get("seconds", 0.0)
    acl_metrics = stage_metrics.get("acl", {})
    return {
        "dataset": acl_metrics.get("dataset") or stage_metrics.get("ial", {}).get("dataset"),
        "test_images": len(trained[0].labels),
        "label_names": trained[0].label_names,
        "models": {r.name: model_entry(r, stage_metrics.get(r.name, {})) for r in results},
        "embedding": embedding,
        "facetrack": facetrack_figures(
            facetrack_report, facetrack_quality, params.facetrack_quality
        ),
        "mining": acl_metrics.get("mining_quality", {"available": False, "note": "no acl metrics"}),
        "stage_seconds": stage_seconds(
            facetrack_report,
            stage_metrics.get("ial", {}),
            stage_metrics.get("baseline", {}),
            acl_metrics,
            evaluate_seconds,
        ),
        "parameters": run_parameters(results, facetrack_report, params),
    }
