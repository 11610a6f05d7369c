"""Made-up evaluation results: three classes, values chosen so every figure is checkable."""

from __future__ import annotations

from typing import Any

import numpy as np

from rmfer.reporting.params import EvaluateParams
from rmfer.reporting.schema import ModelResult

NAMES = ["Neutral", "Happiness", "Sadness"]


def evaluate_params(**changes: Any) -> EvaluateParams:
    values = {
        "seed": 0,
        "device": "cpu",
        "threads": None,
        "batch_size": 8,
        "num_workers": 0,
        "max_attention_samples": 100,
        "embedding": {"space": "features", "perplexity": 5, "max_samples": 100, "threads": 1},
        "facetrack_quality": None,
        **changes,
    }
    return EvaluateParams.from_dict(values)


def model_result(name: str, errors: int, seed: int = 0, epochs: int = 10) -> ModelResult:
    """12 test images, 4 per class, the first `errors` of them predicted one class off;
    features in three tight clusters, one per label."""
    labels = np.repeat(np.arange(3), 4)
    predicted = labels.copy()
    predicted[:errors] = (predicted[:errors] + 1) % 3
    rng = np.random.default_rng(seed)
    centres = np.eye(3, 8) * 10
    features = (centres[labels] + rng.normal(0, 0.1, (12, 8))).astype(np.float32)
    confusion = np.zeros((3, 3), dtype=int)
    for truth, guess in zip(labels, predicted, strict=True):
        confusion[truth, guess] += 1
    recall = confusion.diagonal() / 4
    metrics = {
        "accuracy": float((labels == predicted).mean()),
        "mean_class_accuracy": float(recall.mean()),
        "per_class_recall": dict(zip(NAMES, recall.tolist(), strict=True)),
        "confusion_matrix": confusion.tolist(),
        "attention_matrix": [[0.6, 0.2, 0.2], [0.1, 0.8, 0.1], [0.25, 0.25, 0.5]],
        "attention_diagonal_mass": 0.633333333,
        "similarity_same": 0.812345,
        "similarity_different": 0.123456,
    }
    lambda_att = 0.0 if name == "baseline" else 1.0
    params = {"epochs": epochs, "lambda_att": lambda_att, "seed": 0}
    if name in ("control", "acl"):  # the acl pipeline's two runs differ in mu alone
        params["mu"] = 0.0 if name == "control" else 1.0
    return ModelResult(
        name=name,
        trained=True,
        label_names=NAMES,
        metrics=metrics,
        labels=labels,
        predicted=predicted,
        features=features,
        embeddings=features,
        seconds=1.5,
        info={"stage": name, "params": params},
    )


def not_trained(name: str = "baseline") -> ModelResult:
    return ModelResult(name=name, trained=False, reason=f"{name}_run.train is false")


FACETRACK_REPORT: dict[str, Any] = {
    "params_hash": "abc",
    "detector": "bundled",
    "sample_rate_hz": 5,
    "videos": {"total": 2, "done": 1, "skipped": 1, "failed": 0},
    "sampled_frames": 20,
    "detections": 40,
    "faces": 38,
    "persons": 4,
    "drops": {"small": 0, "blurry": 1, "profile": 1, "few_faces": 0},
    "per_video": {"a": {"seconds": 12.25}, "b": {"seconds": 0.5}},
}
FACETRACK_QUALITY: dict[str, Any] = {
    "iou": 0.5,
    "videos_measured": 2,
    "overall": {
        "recall": 0.99876,
        "recall_without_away_occluded": 1.0,
        "precision": 0.97,
        "purity_weighted": 1.0,
        "ids_per_reactor": 1.5,
    },
}
MINING: dict[str, Any] = {
    "available": True,
    "rho": 0.2,
    "window_s": 0.5,
    "distance_s": 6.0,
    "ial_model": {
        "anchors": 10,
        "time_only": {
            "positive": {"precision": 0.7, "pairs": 100},
            "negative": {"precision": 0.75, "pairs": 100},
        },
        "prior": {
            "positive": {"precision": 0.8, "pairs": 20},
            "negative": {"precision": 0.9, "pairs": 20},
        },
    },
    "seconds": 3.5,
}
