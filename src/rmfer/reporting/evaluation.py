"""One trained model on the benchmark's test split: its metrics and its test features.

The metrics are `rmfer.training.evaluation`'s (the ones training reports), so the numbers here
and in ial_metrics / acl_metrics are computed one way; the features are kept for the t-SNE.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch.utils.data import DataLoader

from rmfer.data.dataset import BenchmarkImages
from rmfer.data.transforms import eval_transform
from rmfer.models.checkpoint import load_network
from rmfer.reporting.baseline import is_trained
from rmfer.reporting.params import EvaluateParams
from rmfer.training.evaluation import evaluate_predictions, predict
from rmfer.training.runtime import Precision, deterministic, resolve_device

logger = logging.getLogger(__name__)


@dataclass
class ModelResult:
    """What the comparison needs of one model; `trained` False leaves the arrays empty."""

    name: str
    trained: bool
    reason: str = ""
    label_names: list[str] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)
    labels: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    predicted: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    features: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    embeddings: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    seconds: float = 0.0
    info: dict[str, Any] = field(default_factory=dict)  # the checkpoint's `extra` (stage, params)


def select_test_split(index: pd.DataFrame) -> pd.DataFrame:
    """The benchmark's test split; an index without one cannot be compared."""
    rows = index[index["split"] == "test"]
    if rows.empty:
        splits = sorted(index["split"].unique().tolist())
        raise ValueError(
            f"benchmark_index has no test split (splits: {splits}); evaluate needs one"
        )
    return rows


def evaluate_checkpoint(
    name: str, checkpoint: dict[str, Any], index: pd.DataFrame, params: EvaluateParams
) -> ModelResult:
    """Run the checkpoint's net over the test split: classification and attention metrics."""
    if not is_trained(checkpoint):
        reason = str(checkpoint.get("reason", "not trained"))
        logger.info("evaluate %s: not trained (%s)", name, reason)
        return ModelResult(name=name, trained=False, reason=reason)
    started = time.perf_counter()
    device = resolve_device(params.device)
    if params.threads and device.type == "cpu":
        torch.set_num_threads(params.threads)
    rows = select_test_split(index)
    with deterministic(device.type == "cpu"):
        net = load_network(checkpoint, device)
        config = net.config
        transform = eval_transform(config.image_size, config.mean, config.std)
        data = BenchmarkImages(rows, transform, len(config.label_names))
        loader = DataLoader(data, batch_size=params.batch_size, num_workers=params.num_workers)
        precision = Precision(device, None)  # float32: the same numbers on every device
        outputs = predict(net, loader, device, precision)
        metrics = evaluate_predictions(
            net,
            outputs,
            config.label_names,
            config.tau,
            params.max_attention_samples,
            params.seed,
        )
    seconds = round(time.perf_counter() - started, 1)
    logger.info(
        "evaluate %s: %d test images, accuracy %.4f, mean class accuracy %.4f (%.1f s)",
        name,
        len(rows),
        metrics["accuracy"],
        metrics["mean_class_accuracy"],
        seconds,
    )
    return ModelResult(
        name=name,
        trained=True,
        label_names=list(config.label_names),
        metrics=metrics,
        labels=outputs.labels.numpy(),
        predicted=outputs.logits.argmax(1).numpy(),
        features=outputs.features.numpy(),
        embeddings=outputs.embeddings.numpy(),
        seconds=seconds,
        info=dict(checkpoint.get("extra", {})),
    )
