"""Score a net on a split: what validation (each epoch), the test figures and the report use."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import torch
from torch.utils.data import DataLoader

from rmfer.models.network import AttentionNet
from rmfer.training.metrics import attention_metrics, classification_metrics
from rmfer.training.runtime import Precision, to_device


class Predictions(NamedTuple):
    features: torch.Tensor  # (N, D) float32, CPU
    embeddings: torch.Tensor  # (N, D)
    logits: torch.Tensor  # (N, C)
    labels: torch.Tensor  # (N,)


@torch.no_grad()
def predict(
    net: AttentionNet, loader: DataLoader, device: torch.device, precision: Precision
) -> Predictions:
    """Outputs for every sample of `loader`, in its order (eval mode is the caller's job)."""
    parts: list[tuple[torch.Tensor, ...]] = []
    for batch in loader:
        batch = to_device(batch, device)
        with precision.autocast():
            output = net(batch["image"])
        parts.append((*(t.float().cpu() for t in output), batch["label"].cpu()))
    return Predictions(*(torch.cat(column) for column in zip(*parts, strict=True)))


def _subset(count: int, limit: int, seed: int) -> torch.Tensor:
    """At most `limit` positions: the N x N attention of a huge split would not fit in memory."""
    if count <= limit:
        return torch.arange(count)
    return (
        torch.randperm(count, generator=torch.Generator().manual_seed(seed))[:limit].sort().values
    )


def evaluate_predictions(
    net: AttentionNet,
    predictions: Predictions,
    label_names: Sequence[str],
    tau: float,
    max_attention_samples: int = 4096,
    seed: int = 0,
) -> dict:
    """Classification metrics on all samples; attention diagnostics on up to a few thousand."""
    labels = predictions.labels.numpy()
    result = classification_metrics(labels, predictions.logits.argmax(1).numpy(), label_names)
    keep = _subset(len(labels), max_attention_samples, seed)
    if len(keep) >= 2:
        result.update(
            attention_metrics(
                predictions.features[keep],
                predictions.embeddings[keep],
                predictions.labels[keep],
                len(label_names),
                tau,
                net.attention_classifier,
            )
        )
    return result


def evaluate_split(
    net: AttentionNet,
    loader: DataLoader,
    device: torch.device,
    precision: Precision,
    tau: float,
    max_attention_samples: int = 4096,
    seed: int = 0,
) -> dict:
    """Metrics of `net` on the samples of `loader` (the net is put in eval mode)."""
    net.eval()
    predictions = predict(net, loader, device, precision)
    return evaluate_predictions(
        net, predictions, net.config.label_names, tau, max_attention_samples, seed
    )
