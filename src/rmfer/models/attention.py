"""Inter-sample attention (docs/method.md, stage 1): each sample attends over the *other* samples.

Pure functions of a batch's features and projections, so the loss, the diagnostics and a hand
check in the tests all use the same arithmetic.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def similarity_matrix(embeddings: torch.Tensor, tau: float) -> torch.Tensor:
    """S[i, j] = cos(z_i, z_j) / tau, computed in float32 even under autocast."""
    unit = F.normalize(embeddings.float(), dim=1)
    return unit @ unit.T / tau


def attention_weights(embeddings: torch.Tensor, tau: float) -> torch.Tensor:
    """A = softmax over j of S with the diagonal at -inf: a sample may not attend to itself."""
    if embeddings.shape[0] < 2:
        raise ValueError("inter-sample attention needs at least two samples in a batch")
    scores = similarity_matrix(embeddings, tau)
    eye = torch.eye(scores.shape[0], dtype=torch.bool, device=scores.device)
    return scores.masked_fill(eye, float("-inf")).softmax(dim=1)


def attended_features(
    features: torch.Tensor, embeddings: torch.Tensor, tau: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """(f_att, A): f_att_i = sum_j A[i, j] f_j, a mixture of the other samples' features."""
    weights = attention_weights(embeddings, tau)
    return weights.to(features.dtype) @ features, weights
