"""A 2-D t-SNE of test features, to see how each model spreads the expressions."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.manifold import TSNE
from threadpoolctl import threadpool_limits

from rmfer.errors import InputError


def stratified_subset(labels: np.ndarray, limit: int, seed: int) -> np.ndarray:
    """At most `limit` positions, each class keeping its share (t-SNE is quadratic in N)."""
    count = len(labels)
    if count <= limit:
        return np.arange(count)
    rng = np.random.default_rng(seed)
    keep: list[np.ndarray] = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        share = max(1, round(limit * len(members) / count))
        keep.append(rng.choice(members, size=min(share, len(members)), replace=False))
    return np.sort(np.concatenate(keep))[:limit]


def tsne_2d(
    vectors: np.ndarray,
    labels: np.ndarray,
    perplexity: float,
    max_samples: int,
    seed: int,
    threads: int = 1,
) -> pd.DataFrame:
    """Rows `sample` (position in the test split), `x`, `y`, `label`.

    Vectors are L2-normalised first, so distances follow the cosine the method measures
    similarity with. Perplexity is lowered for tiny splits, where t-SNE requires < N. OpenMP
    is held to `threads`: its busy waiting made 15 points take 20 s on a loaded 2-core machine.
    """
    keep = stratified_subset(labels, max_samples, seed)
    if len(keep) < 3:
        raise InputError(f"t-SNE needs at least 3 test samples, got {len(keep)}")
    chosen = vectors[keep].astype(np.float64)
    chosen /= np.linalg.norm(chosen, axis=1, keepdims=True).clip(min=1e-12)
    tsne = TSNE(
        n_components=2,
        perplexity=min(float(perplexity), (len(keep) - 1) / 3),
        init="pca",
        random_state=seed,
    )
    with threadpool_limits(limits=threads):
        coords = tsne.fit_transform(chosen)
    return pd.DataFrame(
        {
            "sample": keep.astype(np.int64),
            "x": coords[:, 0].round(4),
            "y": coords[:, 1].round(4),
            "label": labels[keep].astype(np.int64),
        }
    )
