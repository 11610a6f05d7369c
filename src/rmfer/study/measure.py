"""Every run's figures: accuracy against the annotators' labels and against the truth, and how
well the embedding's similarities rank the true expression mixtures of held-out RM faces."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import torch
from scipy.stats import spearmanr
from torch.utils.data import DataLoader

from rmfer.data.dataset import BenchmarkImages
from rmfer.data.rm_faces import RMFaces
from rmfer.data.transforms import eval_transform
from rmfer.models.network import AttentionNet
from rmfer.study.world import StudyWorld
from rmfer.synth.mashup import MIXTURE_COLUMNS
from rmfer.training.metrics import classification_metrics

BATCH = 256


@torch.no_grad()
def logits_of(net: AttentionNet, rows: pd.DataFrame) -> np.ndarray:
    """The main classifier's logits for benchmark rows, in their order (on the CPU)."""
    config = net.config
    transform = eval_transform(config.image_size, config.mean, config.std)
    data = BenchmarkImages(rows, transform, len(config.label_names))
    net.eval()
    parts = [net(batch["image"]).logits for batch in DataLoader(data, batch_size=BATCH)]
    return torch.cat(parts).float().numpy()


def split_figures(net: AttentionNet, world: StudyWorld, split: str) -> dict[str, float]:
    """Accuracy and mean class accuracy on a split, against the labels and the truth."""
    rows = world.benchmark[world.benchmark["split"] == split]
    predicted = logits_of(net, rows).argmax(axis=1)
    names = net.config.label_names
    labels = classification_metrics(rows["label"].to_numpy(), predicted, names)
    truth = classification_metrics(world.dominant.loc[rows.index].to_numpy(), predicted, names)
    return {
        "accuracy": labels["accuracy"],
        "mean_class_accuracy": labels["mean_class_accuracy"],
        "accuracy_truth": truth["accuracy"],
        "mean_class_accuracy_truth": truth["mean_class_accuracy"],
    }


def feature_faces(world: StudyWorld, count: int) -> np.ndarray:
    """The held-out faces measured, the same for every run (paired): an even spread."""
    total = len(world.held_out)
    if total <= count:
        return np.arange(total)
    return np.sort(np.random.default_rng(0).choice(total, size=count, replace=False))


@torch.no_grad()
def feature_correlation(net: AttentionNet, world: StudyWorld, count: int) -> float:
    """Spearman's rho between cos(z_i, z_j) and the cosine of the true mixtures, over all pairs
    of `count` held-out faces: does the embedding order faces as their expressions are?"""
    ids = feature_faces(world, count)
    faces = RMFaces(world.held_out, world.faces_dir)
    config = net.config
    transform = eval_transform(config.image_size, config.mean, config.std)
    net.eval()
    parts = []
    for start in range(0, len(ids), BATCH):
        crops = faces.read_tensor(ids[start : start + BATCH])
        parts.append(net(transform(crops)).embeddings.float())
    z = torch.nn.functional.normalize(torch.cat(parts), dim=1).numpy()
    mixtures = world.held_out.iloc[ids][list(MIXTURE_COLUMNS)].to_numpy(np.float64)
    mixtures = mixtures / np.linalg.norm(mixtures, axis=1, keepdims=True)
    upper = np.triu_indices(len(ids), k=1)
    rho = spearmanr((z @ z.T)[upper], (mixtures @ mixtures.T)[upper]).statistic
    return float(rho)


def run_figures(net: AttentionNet, world: StudyWorld, faces: int) -> dict[str, Any]:
    """What every run's JSON records about its net."""
    net = net.cpu()
    return {
        "test": split_figures(net, world, "test"),
        "validation": split_figures(net, world, "validation"),
        "feature_spearman": feature_correlation(net, world, faces),
    }
