"""The t-SNE keeps well separated classes apart, and subsamples by class."""

from __future__ import annotations

import numpy as np
import pytest

from rmfer.errors import InputError
from rmfer.reporting.embedding import stratified_subset, tsne_2d


def test_stratified_subset_keeps_each_class_share():
    labels = np.array([0] * 60 + [1] * 30 + [2] * 10)
    keep = stratified_subset(labels, 50, seed=0)
    assert len(keep) == 50 and len(set(keep.tolist())) == 50
    assert np.bincount(labels[keep]).tolist() == [30, 15, 5]
    assert stratified_subset(labels, 500, seed=0).tolist() == list(range(100))


def test_tsne_keeps_three_clusters_apart_even_when_tiny():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(3), 5)
    vectors = np.eye(3, 16)[labels] * 5 + rng.normal(0, 0.05, (15, 16))
    table = tsne_2d(vectors, labels, perplexity=30, max_samples=100, seed=0)  # perplexity < 15
    assert table["sample"].tolist() == list(range(15))
    points = table[["x", "y"]].to_numpy()
    distances = np.linalg.norm(points[:, None] - points[None], axis=2)
    np.fill_diagonal(distances, np.inf)
    assert (labels[distances.argmin(1)] == labels).all()  # every nearest neighbour shares the label


def test_tsne_needs_three_samples():
    with pytest.raises(InputError, match="at least 3"):
        tsne_2d(np.ones((2, 4)), np.array([0, 1]), 5, 10, 0)
