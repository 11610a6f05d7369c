"""The similarity prior (method.md, stage 2, step 3): score mined candidates with the network.

Scoring runs in eval mode without gradient, so it costs one plain forward per face and leaves
BatchNorm statistics alone. Training and the mining-quality measurement share these functions,
so what is measured is what trains.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from rmfer.training.acl_loss import pair_similarity, prior_filter


@torch.no_grad()
def embed(
    net: nn.Module,
    images: torch.Tensor,
    chunk: int,
    prepare: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> torch.Tensor:
    """z = g(f) for `images` in eval mode, `chunk` at a time; the net's mode is restored.

    `prepare` (e.g. uint8 crops -> normalised input) runs per chunk, so a step's thousands of
    candidates never sit in memory at the network's input size all at once.
    """
    was_training = net.training
    net.eval()
    try:
        parts = []
        for start in range(0, len(images), chunk):
            part = images[start : start + chunk]
            parts.append(net(prepare(part) if prepare else part).embeddings.float())
    finally:
        net.train(was_training)
    return torch.cat(parts)


def candidate_similarities(
    embeddings: torch.Tensor,
    anchors: torch.Tensor,
    positives: torch.Tensor,
    negatives: torch.Tensor,
    tau: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """s(a, k) for every anchor against its positive and negative candidates.

    `anchors` (B,), `positives` (B, P), `negatives` (B, N) index rows of `embeddings`; -1 pads
    (their similarity is meaningless and must stay masked).
    """
    anchor_z = embeddings[anchors]
    pos = pair_similarity(anchor_z, embeddings[positives.clamp(min=0)], tau)
    neg = pair_similarity(anchor_z, embeddings[negatives.clamp(min=0)], tau)
    return pos, neg


def select_candidates(
    pos_sim: torch.Tensor,
    pos_mask: torch.Tensor,
    neg_sim: torch.Tensor,
    neg_mask: torch.Tensor,
    rho: float,
    prior: bool,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The kept positives and negatives (boolean masks).

    With the prior: the quantile filter on the network's similarities. Without it (time-only
    mining, the ablation): the same filter on random scores, so the same number of candidates is
    kept, chosen blindly; the ablation then changes which pairs train, not how many.
    """
    if prior:
        return prior_filter(pos_sim, pos_mask, neg_sim, neg_mask, rho)
    pos_random = torch.rand(pos_sim.shape, generator=generator).to(pos_sim.device)
    neg_random = torch.rand(neg_sim.shape, generator=generator).to(neg_sim.device)
    return prior_filter(pos_random, pos_mask, neg_random, neg_mask, rho)
