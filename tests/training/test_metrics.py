"""Metrics on hand-made cases: accuracy vs mean class accuracy, confusion, attention matrix."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rmfer.training.metrics import attention_metrics, classification_metrics


def test_mean_class_accuracy_weights_classes_equally():
    labels = np.array([0, 0, 0, 0, 1, 2])
    predictions = np.array([0, 0, 0, 0, 0, 2])
    result = classification_metrics(labels, predictions, ["Neutral", "Happiness", "Sadness", "X"])
    assert result["accuracy"] == pytest.approx(5 / 6)
    assert result["mean_class_accuracy"] == pytest.approx((1 + 0 + 1) / 3)  # X is absent
    assert result["per_class_recall"] == {"Neutral": 1.0, "Happiness": 0.0, "Sadness": 1.0}
    assert result["confusion_matrix"][1] == [1, 0, 0, 0]


def test_attention_matrix_and_similarities_on_two_clusters():
    embeddings = torch.tensor([[1.0, 0.0], [1.0, 0.1], [0.0, 1.0], [0.1, 1.0]])
    labels = torch.tensor([0, 0, 1, 1])
    result = attention_metrics(torch.eye(4), embeddings, labels, num_classes=2, tau=0.05)
    matrix = np.array(result["attention_matrix"])
    np.testing.assert_allclose(matrix.sum(1), 1.0, rtol=1e-6)
    assert matrix[0, 0] > 0.99 and matrix[1, 1] > 0.99
    assert result["attention_diagonal_mass"] > 0.99
    assert result["similarity_same"] == pytest.approx(float(1 / np.sqrt(1.01)), rel=1e-5)
    assert result["similarity_different"] < 0.2
    swapped = attention_metrics(torch.eye(4), embeddings, torch.tensor([0, 1, 0, 1]), 2, 0.05)
    assert swapped["attention_diagonal_mass"] < 0.01
