"""ACL's loss: multi-positive InfoNCE over the pairs mined from reaction mashup videos.

Stage 2 of docs/method.md. Similarities are the same s(i, j) = cos(z_i, z_j) / tau as IAL's
inter-sample attention, in the projection space of the network IAL trained; the prior that
chooses the pairs scores them with `pair_similarity` too (`rmfer.training.acl.prior`).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from rmfer.training.collectives import global_count, share_mean
from rmfer.training.distributed import is_distributed


def pair_similarity(anchors: torch.Tensor, candidates: torch.Tensor, tau: float) -> torch.Tensor:
    """s(a, k) for anchors (B, D) against their own candidates (B, K, D) -> (B, K)."""
    a = F.normalize(anchors.float(), dim=-1)
    c = F.normalize(candidates.float(), dim=-1)
    return torch.einsum("bd,bkd->bk", a, c) / tau


def acl_loss(
    pos_sim: torch.Tensor,
    pos_mask: torch.Tensor,
    neg_sim: torch.Tensor,
    neg_mask: torch.Tensor,
    gather: bool = False,
) -> torch.Tensor:
    """`AclLoss` on similarities already computed: (B, P) and (B, N), masks say which count.

    Rows without a kept positive contribute nothing (they would be -log 0). With `gather`
    across processes, the mean is over the usable anchors of every rank (this rank's share
    of it, `share_mean`): each anchor's candidates are its own, so nothing else is exchanged.
    """
    minus_inf = torch.finfo(pos_sim.dtype).min
    positives = pos_sim.masked_fill(~pos_mask, minus_inf)
    everything = torch.cat([positives, neg_sim.masked_fill(~neg_mask, minus_inf)], dim=1)
    per_anchor = torch.logsumexp(everything, dim=1) - torch.logsumexp(positives, dim=1)
    usable = pos_mask.any(dim=1)
    if gather and is_distributed():
        total = global_count(usable)
        if total == 0:
            return pos_sim.sum() * 0.0
        return share_mean(per_anchor[usable], total)
    if not usable.any():
        return pos_sim.sum() * 0.0
    return per_anchor[usable].mean()


class AclLoss(nn.Module):
    """Attention-based contrastive loss, stage 2 of RMFER.

    For each RM anchor a, the kept positives P(a) are other reactors of the same video at
    nearly the same moment, the kept negatives N(a) the same reactor far away in time, both
    filtered by the similarity prior. With s(a, k) = cos(z_a, z_k) / tau:

        L_ACL = mean_a  -log( sum_{k in P(a)} exp s(a, k) / sum_{k in P(a) u N(a)} exp s(a, k) )

    over the anchors with at least one kept positive; 0 (with a gradient graph) when none has.
    Padded or dropped candidates are masked out of both sums.

    - Paper: RMFER: Semi-supervised Contrastive Learning for Facial Expression Recognition with
      Reaction Mashup Video, WACV 2024; docs/method.md, stage 2, step 4.

    Attributes:
        tau: Temperature of s(a, k), the same as the inter-sample attention's.
        gather: Across processes, average over every rank's anchors (see `acl_loss`).

    Examples:
        >>> loss_fn = AclLoss(tau=0.1)
        >>> # anchors (B, D); positives (B, P, D), negatives (B, N, D); masks (B, P), (B, N)
        >>> loss = loss_fn(anchors, positives, keep_positive, negatives, keep_negative)
        >>> loss.backward()
    """

    def __init__(self, tau: float, gather: bool = False) -> None:
        super().__init__()
        self.tau = tau
        self.gather = gather

    def forward(
        self,
        anchors: torch.Tensor,
        positives: torch.Tensor,
        keep_positive: torch.Tensor,
        negatives: torch.Tensor,
        keep_negative: torch.Tensor,
    ) -> torch.Tensor:
        """Projections z of the anchors and of their candidates -> the scalar L_ACL."""
        pos_sim = pair_similarity(anchors, positives, self.tau)
        neg_sim = pair_similarity(anchors, negatives, self.tau)
        return acl_loss(pos_sim, keep_positive, neg_sim, keep_negative, self.gather)
