"""Validation and test metrics: classification (scikit-learn) and the attention diagnostics."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from sklearn.metrics import accuracy_score, confusion_matrix, recall_score

from rmfer.models.attention import attended_features, similarity_matrix


def classification_metrics(
    labels: np.ndarray, predictions: np.ndarray, label_names: Sequence[str]
) -> dict:
    """Accuracy, mean class accuracy (mean recall over classes present), recall per class,
    and the confusion matrix (rows: true class, columns: predicted)."""
    classes = list(range(len(label_names)))
    recall = recall_score(labels, predictions, labels=classes, average=None, zero_division=0)
    present = np.isin(classes, labels)
    return {
        "accuracy": float(accuracy_score(labels, predictions)),
        "mean_class_accuracy": float(recall[present].mean()),
        "per_class_recall": {
            name: float(recall[k]) for k, name in enumerate(label_names) if present[k]
        },
        "confusion_matrix": confusion_matrix(labels, predictions, labels=classes).tolist(),
    }


@torch.no_grad()
def attention_metrics(
    features: torch.Tensor,
    embeddings: torch.Tensor,
    labels: torch.Tensor,
    num_classes: int,
    tau: float,
    attention_classifier: torch.nn.Linear | None = None,
) -> dict:
    """How the learned similarity groups a set of samples (all against all, self excluded).

    attention_matrix[c][k]: mean attention mass a sample of class c puts on samples of class k
    (rows sum to 1); attention_diagonal_mass: its mean diagonal over the classes present.
    similarity_same / _different: mean cos(z_i, z_j) over same-label / different-label pairs.
    attention_accuracy: accuracy of W_att f_att, when `attention_classifier` is given.
    """
    count = len(labels)
    mixed, weights = attended_features(features.float(), embeddings.float(), tau)
    one_hot = torch.nn.functional.one_hot(labels, num_classes).float()
    mass_per_sample = weights @ one_hot  # (N, C): mass each sample puts on each class
    class_sizes = one_hot.sum(0)
    matrix = (one_hot.T @ mass_per_sample) / class_sizes.clamp(min=1)[:, None]
    present = class_sizes > 0
    cosine = similarity_matrix(embeddings, 1.0)
    same = labels[:, None] == labels[None, :]
    off_diagonal = ~torch.eye(count, dtype=torch.bool)
    same_pairs, different_pairs = same & off_diagonal, ~same
    result = {
        "attention_matrix": matrix.tolist(),
        "attention_diagonal_mass": float(matrix.diagonal()[present].mean()),
        "similarity_same": float(cosine[same_pairs].mean()) if same_pairs.any() else float("nan"),
        "similarity_different": (
            float(cosine[different_pairs].mean()) if different_pairs.any() else float("nan")
        ),
    }
    if attention_classifier is not None:
        weight = attention_classifier.weight.detach().float().cpu()
        bias = attention_classifier.bias.detach().float().cpu()
        predicted = torch.nn.functional.linear(mixed, weight, bias).argmax(1)
        result["attention_accuracy"] = float((predicted == labels).float().mean())
    return result
