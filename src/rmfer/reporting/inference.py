"""Each model on the benchmark's test split: its metrics, predictions and test features.

The metrics are `rmfer.training.scoring`'s (the ones training reports), so the numbers here and
in ial_metrics / acl_metrics are computed one way; the features are kept for the t-SNE.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import pandas as pd
import torch
from torch.utils.data import DataLoader

from rmfer.data.dataset import BenchmarkImages
from rmfer.data.transforms import eval_transform
from rmfer.errors import InputError
from rmfer.models.checkpoint import load_network
from rmfer.reporting.params import EvaluateParams
from rmfer.reporting.schema import ModelResult
from rmfer.training.ial.runs import is_trained
from rmfer.training.runtime import Precision, deterministic, resolve_device
from rmfer.training.scoring import evaluate_predictions, predict

logger = logging.getLogger(__name__)


def select_test_split(index: pd.DataFrame) -> pd.DataFrame:
    """The benchmark's test split; an index without one cannot be compared."""
    rows = index[index["split"] == "test"]
    if rows.empty:
        splits = sorted(index["split"].unique().tolist())
        raise InputError(
            f"benchmark_index has no test split (splits: {splits}); evaluate needs one"
        )
    return rows


def run_on_test_split(
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
