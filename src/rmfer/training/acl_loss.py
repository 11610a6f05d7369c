"""ACL (method.md, stage 2): the similarity prior that filters mined pairs, and the loss.

Similarities are the same s(i, j) = cos(z_i, z_j) / tau as the inter-sample attention, in the
projection space of the network trained by IAL.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def pair_similarity(anchors: torch.Tensor, candidates: torch.Tensor, tau: float) -> torch.Tensor:
    """s(a, k) for anchors (B, D) against their own candidates (B, K, D) -> (B, K)."""
    a = F.normalize(anchors.float(), dim=-1)
    c = F.normalize(candidates.float(), dim=-1)
    return torch.einsum("bd,bkd->bk", a, c) / tau


def masked_quantile(values: torch.Tensor, mask: torch.Tensor, q: float) -> torch.Tensor:
    """Per-row q-quantile (linear interpolation) over the entries where `mask` is true.

    NaN for a row without any. One vectorised call: the prior runs at every step.
    """
    return torch.nanquantile(values.float().masked_fill(~mask, float("nan")), q, dim=1)


def prior_filter(
    pos_sim: torch.Tensor,
    pos_mask: torch.Tensor,
    neg_sim: torch.Tensor,
    neg_mask: torch.Tensor,
    rho: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Keep positives at or above the (1 - rho) quantile and negatives at or below the rho one.

    This drops co-viewers who reacted differently and repeats of the same expression by the same
    person. The best positive and the worst negative always survive, so no anchor is emptied.
    """
    if not 0.0 < rho <= 1.0:
        raise ValueError(f"rho must be in (0, 1], got {rho}")
    pos_cut = masked_quantile(pos_sim, pos_mask, 1.0 - rho).unsqueeze(1)
    neg_cut = masked_quantile(neg_sim, neg_mask, rho).unsqueeze(1)
    keep_pos = pos_mask & (pos_sim >= pos_cut)
    keep_neg = neg_mask & (neg_sim <= neg_cut)
    return keep_pos, keep_neg


def acl_loss(
    pos_sim: torch.Tensor, pos_mask: torch.Tensor, neg_sim: torch.Tensor, neg_mask: torch.Tensor
) -> torch.Tensor:
    """Multi-positive InfoNCE: -log(sum_P exp s / sum_{P u N} exp s), averaged over anchors.

    Rows without a kept positive contribute nothing (they would be -log 0).
    """
    minus_inf = torch.finfo(pos_sim.dtype).min
    positives = pos_sim.masked_fill(~pos_mask, minus_inf)
    everything = torch.cat([positives, neg_sim.masked_fill(~neg_mask, minus_inf)], dim=1)
    per_anchor = torch.logsumexp(everything, dim=1) - torch.logsumexp(positives, dim=1)
    usable = pos_mask.any(dim=1)
    if not usable.any():
        return pos_sim.sum() * 0.0
    return per_anchor[usable].mean()
