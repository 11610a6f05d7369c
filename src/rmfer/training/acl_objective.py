"""The loss callback of stage 2: L = L_IAL (labeled batch) + mu * L_ACL (RM anchors).

The training loop calls it with (net, batch), once per step, or twice with SAM (at w, then at the
perturbed weights), with the same batch dict. The prior is computed once per batch dict, on the
first call, at the weights the step starts from: SAM's second pass reuses the selection, as it
must to be the same loss. A new step must bring a new dict (the loop's `to_device` makes one).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from rmfer.models.network import AttentionNet, NetOutput
from rmfer.training.acl_loss import acl_loss, pair_similarity
from rmfer.training.acl_prior import candidate_similarities, embed, select_candidates
from rmfer.training.losses import LossTerms, ial_loss

Prepare = Callable[[torch.Tensor], torch.Tensor]
"""(M, 3, h, w) uint8 crops -> the network's normalised float input."""


@dataclass(frozen=True)
class Selection:
    """The faces that train this step and which pairs the prior kept.

    `images` holds only the anchors and the kept candidates (what needs a gradient);
    `anchors`, `positives`, `negatives` index into it, `keep_*` mask the pairs.
    """

    images: torch.Tensor
    anchors: torch.Tensor
    positives: torch.Tensor
    keep_positive: torch.Tensor
    negatives: torch.Tensor
    keep_negative: torch.Tensor
    stats: dict[str, torch.Tensor]


class AclLoss:
    """Batch {"image", "label"[, "soft_label"], "rm_crops", "rm_anchor", "rm_pos", "rm_neg"}.

    `rm_crops` (M, 3, h, w) uint8 are the step's distinct RM faces; `rm_anchor` (B,),
    `rm_pos` (B, P) and `rm_neg` (B, N) are positions in it, -1 padding.
    """

    def __init__(
        self,
        prepare: Prepare,
        *,
        lambda_att: float,
        tau: float,
        mu: float,
        rho: float,
        prior: bool,
        flip: float,
        chunk: int,
        seed: int,
        soft_labels: bool = False,
    ) -> None:
        self.prepare = prepare
        self.lambda_att, self.tau, self.mu, self.rho = lambda_att, tau, mu, rho
        self.prior, self.flip, self.chunk = prior, flip, chunk
        self.soft_labels = soft_labels
        self._generator = torch.Generator().manual_seed(seed)
        self._cached: tuple[dict[str, torch.Tensor], Selection] | None = None

    def select(self, net: nn.Module, batch: dict[str, torch.Tensor]) -> Selection:
        """The prior's choice for this batch (computed once: see the module's note)."""
        if self._cached is not None and self._cached[0] is batch:
            return self._cached[1]
        crops = batch["rm_crops"]
        anchors, pos, neg = batch["rm_anchor"], batch["rm_pos"], batch["rm_neg"]
        pos_mask, neg_mask = pos >= 0, neg >= 0
        if self.prior:
            z = embed(net, crops, self.chunk, self.prepare)
            pos_sim, neg_sim = candidate_similarities(z, anchors, pos, neg, self.tau)
        else:  # time-only mining: no scoring pass at all
            pos_sim = torch.zeros(pos.shape, device=crops.device)
            neg_sim = torch.zeros(neg.shape, device=crops.device)
        keep_pos, keep_neg = select_candidates(
            pos_sim, pos_mask, neg_sim, neg_mask, self.rho, self.prior, self._generator
        )
        # Only the anchors and the kept candidates go through the network with a gradient.
        needed = torch.zeros(len(crops), dtype=torch.bool, device=crops.device)
        needed[anchors] = True
        needed[pos[keep_pos]] = True
        needed[neg[keep_neg]] = True
        compact = torch.cumsum(needed.long(), 0) - 1
        chosen = self.prepare(crops[needed])
        if self.flip > 0:
            flips = (torch.rand(len(chosen), generator=self._generator) < self.flip).to(
                chosen.device
            )
            chosen = torch.where(flips[:, None, None, None], chosen.flip(-1), chosen)
        stats = {
            "kept_positives": keep_pos.sum(1).float().mean(),
            "kept_negatives": keep_neg.sum(1).float().mean(),
            "rm_faces_scored": torch.tensor(float(len(crops)) if self.prior else 0.0),
            "rm_faces_trained": torch.tensor(float(len(chosen))),
        }
        if self.prior:
            stats["prior_gap"] = _mean(pos_sim, keep_pos) - _mean(neg_sim, keep_neg)
        selection = Selection(
            images=chosen,
            anchors=compact[anchors],
            positives=torch.where(keep_pos, compact[pos.clamp(min=0)], 0),
            keep_positive=keep_pos,
            negatives=torch.where(keep_neg, compact[neg.clamp(min=0)], 0),
            keep_negative=keep_neg,
            stats=stats,
        )
        self._cached = (batch, selection)
        return selection

    def __call__(self, net: AttentionNet, batch: dict[str, torch.Tensor]) -> LossTerms:
        selection = self.select(net, batch)
        labeled = batch["image"]
        count = len(labeled)
        # One forward for both parts: one BatchNorm batch, as in semi-supervised practice.
        output = net(torch.cat([labeled, selection.images.to(labeled.dtype)]))
        head = NetOutput(*(t[:count] for t in output))
        soft = batch["soft_label"] if self.soft_labels else None
        terms = ial_loss(net, head, batch["label"], self.lambda_att, self.tau, soft)
        z = output.embeddings[count:]
        anchor_z = z[selection.anchors]
        pos_sim = pair_similarity(anchor_z, z[selection.positives], self.tau)
        neg_sim = pair_similarity(anchor_z, z[selection.negatives], self.tau)
        contrastive = acl_loss(pos_sim, selection.keep_positive, neg_sim, selection.keep_negative)
        return {
            **terms,
            "loss": terms["loss"] + self.mu * contrastive,
            "ial": terms["loss"].detach(),
            "acl": contrastive.detach(),
            **{k: v.detach().float() for k, v in selection.stats.items()},
        }


def _mean(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    return values[mask].mean() if mask.any() else values.new_tensor(0.0)
