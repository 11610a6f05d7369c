"""ACL's objective: L = L_IAL (labeled batch) + mu * L_ACL (RM anchors), the loop's callback.

The training loop calls it with (net, batch), once per step, or twice with SAM (at w, then at the
perturbed weights), with the same batch dict. The pairs are chosen once per batch dict, on the
first call, at the weights the step starts from: SAM's second pass reuses the selection, as it
must to be the same loss. A new step must bring a new dict (the loop's `to_device` makes one).

Also here: the forward pass over labeled and RM images under each `acl.bn_mode`
(`forward_parts`), and the control `IalContinued` (mu = 0: L_IAL only, no RM face).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from rmfer.models.batchnorm import running_stats_untouched
from rmfer.models.network import NetOutput
from rmfer.training.acl.loss import AclLoss
from rmfer.training.acl.prior import (
    EmbeddingCache,
    Prepare,
    candidate_similarities,
    select_candidates,
)
from rmfer.training.distributed import unwrap
from rmfer.training.ial.loss import ial_loss
from rmfer.training.loop import LossTerms


def forward_parts(
    net: nn.Module, labeled: torch.Tensor, rm: torch.Tensor, bn_mode: str
) -> tuple[NetOutput, NetOutput]:
    """The net's outputs for the labeled images and for the RM images.

    joint (and reestimate, which fixes the statistics afterwards): one forward pass, one
    BatchNorm batch of both, as in semi-supervised practice; the running statistics then mix
    RM crops in. separate: the labeled pass first, as a labeled-only step would run it; then the
    RM pass normalised by its own batch statistics, leaving the running statistics untouched,
    so what the net uses at test time comes from labeled batches only.
    """
    rm = rm.to(labeled.dtype)
    if bn_mode == "separate":
        head = net(labeled)
        with running_stats_untouched(net):
            return head, net(rm)
    count = len(labeled)
    output = net(torch.cat([labeled, rm]))
    return NetOutput(*(t[:count] for t in output)), NetOutput(*(t[count:] for t in output))


class IalContinued:
    """The control of `acl.mu = 0`: L_IAL alone on ACL's labeled batches (no RM part at all)."""

    def __init__(
        self, *, lambda_att: float, tau: float, soft_labels: bool = False, gather: bool = False
    ) -> None:
        self.lambda_att, self.tau, self.soft_labels = lambda_att, tau, soft_labels
        self.gather = gather

    def __call__(self, net: nn.Module, batch: dict[str, torch.Tensor]) -> LossTerms:
        soft = batch["soft_label"] if self.soft_labels else None
        output = net(batch["image"])
        terms = ial_loss(net, output, batch["label"], self.lambda_att, self.tau, soft, self.gather)
        return {**terms, "ial": terms["loss"].detach()}


@dataclass(frozen=True)
class Selection:
    """The faces that train this step and which pairs were kept.

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


class AclObjective:
    """Batch {"image", "label"[, "soft_label"], "rm_crops", "rm_anchor", "rm_pos", "rm_neg",
    "rm_face"}.

    `rm_crops` (M, 3, h, w) uint8 are the step's distinct RM faces, `rm_face` their face ids;
    `rm_anchor` (B,), `rm_pos` (B, P) and `rm_neg` (B, N) are positions in it, -1 padding.

    `pairing`: prior (the network's similarity, from embeddings at most `refresh_steps` steps
    old), time (a random rho share) or oracle (`truth`: each face id's true expression mixture,
    a NaN row where unknown; a candidate or anchor without truth is not paired).
    """

    def __init__(
        self,
        prepare: Prepare,
        *,
        lambda_att: float,
        tau: float,
        mu: float,
        rho: float,
        pairing: str,
        bn_mode: str,
        flip: float,
        chunk: int,
        seed: int,
        refresh_steps: int = 1,
        truth: torch.Tensor | None = None,
        soft_labels: bool = False,
        gather: bool = False,
    ) -> None:
        if pairing == "oracle" and truth is None:
            raise ValueError("oracle pairing needs the faces' true expression mixtures")
        self.prepare = prepare
        self.lambda_att, self.tau, self.mu, self.rho = lambda_att, tau, mu, rho
        self.pairing, self.bn_mode, self.flip = pairing, bn_mode, flip
        self.truth = truth
        self.soft_labels, self.gather = soft_labels, gather
        self.contrastive = AclLoss(tau, gather)
        self.embeddings = EmbeddingCache(refresh_steps, chunk, prepare)
        self._generator = torch.Generator().manual_seed(seed)
        self._cached: tuple[dict[str, torch.Tensor], Selection] | None = None

    def scores(
        self, net: nn.Module, batch: dict[str, torch.Tensor]
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, int]:
        """(pos_sim, pos_mask, neg_sim, neg_mask, faces scored) by this objective's pairing."""
        crops = batch["rm_crops"]
        anchors, pos, neg = batch["rm_anchor"], batch["rm_pos"], batch["rm_neg"]
        pos_mask, neg_mask = pos >= 0, neg >= 0
        if self.pairing == "prior":
            # the plain net: DDP's forward would sync, and these faces get no gradient
            z, scored = self.embeddings.embed(unwrap(net), crops, batch.get("rm_face"))
            pos_sim, neg_sim = candidate_similarities(z, anchors, pos, neg, self.tau)
            return pos_sim, pos_mask, neg_sim, neg_mask, scored
        if self.pairing == "oracle":
            assert self.truth is not None
            mixtures = self.truth[batch["rm_face"].cpu()].to(crops.device)
            known = ~mixtures.isnan().any(dim=1)
            pos_sim, neg_sim = candidate_similarities(
                mixtures.nan_to_num(0.0), anchors, pos, neg, 1.0
            )
            pos_mask = pos_mask & known[pos.clamp(min=0)] & known[anchors][:, None]
            neg_mask = neg_mask & known[neg.clamp(min=0)] & known[anchors][:, None]
            return pos_sim, pos_mask, neg_sim, neg_mask, 0
        # time-only mining: no scoring pass; a random rho share is kept (`select_candidates`)
        zeros_pos = torch.zeros(pos.shape, device=crops.device)
        return zeros_pos, pos_mask, torch.zeros(neg.shape, device=crops.device), neg_mask, 0

    def select(self, net: nn.Module, batch: dict[str, torch.Tensor]) -> Selection:
        """The pairs kept for this batch (computed once: see the module's note)."""
        if self._cached is not None and self._cached[0] is batch:
            return self._cached[1]
        crops = batch["rm_crops"]
        anchors, pos, neg = batch["rm_anchor"], batch["rm_pos"], batch["rm_neg"]
        pos_sim, pos_mask, neg_sim, neg_mask, scored = self.scores(net, batch)
        by_score = self.pairing != "time"
        keep_pos, keep_neg = select_candidates(
            pos_sim, pos_mask, neg_sim, neg_mask, self.rho, by_score, self._generator
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
            "rm_faces_scored": torch.tensor(float(scored)),
            "rm_faces_trained": torch.tensor(float(len(chosen))),
        }
        if self.pairing == "prior":
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

    def state_dict(self) -> dict[str, Any]:
        """The random state of the flips and the time ablation, and the prior's cache (resume)."""
        return {
            "generator": self._generator.get_state(),
            "embeddings": self.embeddings.state_dict(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._generator.set_state(state["generator"])
        self.embeddings.load_state_dict(state["embeddings"])

    def __call__(self, net: nn.Module, batch: dict[str, torch.Tensor]) -> LossTerms:
        selection = self.select(net, batch)
        head, rm = forward_parts(net, batch["image"], selection.images, self.bn_mode)
        soft = batch["soft_label"] if self.soft_labels else None
        terms = ial_loss(net, head, batch["label"], self.lambda_att, self.tau, soft, self.gather)
        z = rm.embeddings
        contrastive = self.contrastive(
            z[selection.anchors],
            z[selection.positives],
            selection.keep_positive,
            z[selection.negatives],
            selection.keep_negative,
        )
        return {
            **terms,
            "loss": terms["loss"] + self.mu * contrastive,
            "ial": terms["loss"].detach(),
            "acl": contrastive.detach(),
            **{k: v.detach().float() for k, v in selection.stats.items()},
        }


def _mean(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    return values[mask].mean() if mask.any() else values.new_tensor(0.0)
