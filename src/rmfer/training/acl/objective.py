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
from typing import Any, NamedTuple

import torch
from torch import nn

from rmfer.models.batchnorm import running_stats_untouched
from rmfer.models.network import NetOutput
from rmfer.training.acl.loss import AclLoss
from rmfer.training.acl.prior import (
    EmbeddingCache,
    Prepare,
    candidate_similarities,
    embed,
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


class Scores(NamedTuple):
    """Each anchor's candidates scored by a pairing; `embeddings`: the prior's z of every face."""

    pos_sim: torch.Tensor
    pos_mask: torch.Tensor
    neg_sim: torch.Tensor
    neg_mask: torch.Tensor
    scored: int  # faces that went through the net for it
    embeddings: torch.Tensor | None


@dataclass(frozen=True)
class Selection:
    """The faces that train this step and which pairs were kept.

    `images` holds only what needs a gradient: the anchors and the kept candidates, or the
    anchors alone when the candidates are fixed `targets` (their z without gradient, a row per
    face of the step). `anchors` index `images`; `positives` and `negatives` index `images`, or
    `targets` when there are targets; `keep_*` mask the pairs.
    """

    images: torch.Tensor
    anchors: torch.Tensor
    positives: torch.Tensor
    keep_positive: torch.Tensor
    negatives: torch.Tensor
    keep_negative: torch.Tensor
    stats: dict[str, torch.Tensor]
    targets: torch.Tensor | None = None
    faces: torch.Tensor | None = None  # the rm_face id of each row of `images`, where known


class AclObjective:
    """Batch {"image", "label"[, "soft_label"], "rm_crops", "rm_anchor", "rm_pos", "rm_neg",
    "rm_face"}.

    `rm_crops` (M, 3, h, w) uint8 are the step's distinct RM faces, `rm_face` their face ids;
    `rm_anchor` (B,), `rm_pos` (B, P) and `rm_neg` (B, N) are positions in it, -1 padding.

    `pairing`: prior (the network's similarity, from embeddings at most `refresh_steps` steps
    old; None: a memory bank, see `EmbeddingCache`), time (a random rho share) or oracle
    (`truth`: each face id's true expression mixture, a NaN row where unknown; a candidate or
    anchor without truth is not paired).

    `candidate_gradient`: true is the paper (the kept candidates pass through the net with the
    anchors, with a gradient); false trains the anchors only, against the candidates' z from
    the scoring pass (eval mode, no gradient; with the prior, the very embeddings that chose
    them, so nothing is computed twice). A speed lever: at the paper's counts (32 anchors,
    rho 0.1 of 50 + 50) the gradient pass shrinks from 352 RM faces to 32.
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
        refresh_steps: int | None = 1,
        truth: torch.Tensor | None = None,
        soft_labels: bool = False,
        gather: bool = False,
        candidate_gradient: bool = True,
    ) -> None:
        if pairing == "oracle" and truth is None:
            raise ValueError("oracle pairing needs the faces' true expression mixtures")
        self.prepare = prepare
        self.lambda_att, self.tau, self.mu, self.rho = lambda_att, tau, mu, rho
        self.pairing, self.bn_mode, self.flip = pairing, bn_mode, flip
        self.truth = truth
        self.soft_labels, self.gather = soft_labels, gather
        self.candidate_gradient = candidate_gradient
        self.contrastive = AclLoss(tau, gather)
        self.embeddings = EmbeddingCache(refresh_steps, chunk, prepare)
        self._generator = torch.Generator().manual_seed(seed)
        self._cached: tuple[dict[str, torch.Tensor], Selection] | None = None

    def scores(self, net: nn.Module, batch: dict[str, torch.Tensor]) -> Scores:
        """Every anchor's candidates scored by this objective's pairing."""
        crops = batch["rm_crops"]
        anchors, pos, neg = batch["rm_anchor"], batch["rm_pos"], batch["rm_neg"]
        pos_mask, neg_mask = pos >= 0, neg >= 0
        if self.pairing == "prior":
            # the plain net: DDP's forward would sync, and these faces get no gradient
            z, scored = self.embeddings.embed(unwrap(net), crops, batch.get("rm_face"))
            pos_sim, neg_sim = candidate_similarities(z, anchors, pos, neg, self.tau)
            return Scores(pos_sim, pos_mask, neg_sim, neg_mask, scored, z)
        if self.pairing == "oracle":
            assert self.truth is not None
            mixtures = self.truth[batch["rm_face"].cpu()].to(crops.device)
            known = ~mixtures.isnan().any(dim=1)
            pos_sim, neg_sim = candidate_similarities(
                mixtures.nan_to_num(0.0), anchors, pos, neg, 1.0
            )
            pos_mask = pos_mask & known[pos.clamp(min=0)] & known[anchors][:, None]
            neg_mask = neg_mask & known[neg.clamp(min=0)] & known[anchors][:, None]
            return Scores(pos_sim, pos_mask, neg_sim, neg_mask, 0, None)
        # time-only mining: no scoring pass; a random rho share is kept (`select_candidates`)
        zeros_pos = torch.zeros(pos.shape, device=crops.device)
        zeros_neg = torch.zeros(neg.shape, device=crops.device)
        return Scores(zeros_pos, pos_mask, zeros_neg, neg_mask, 0, None)

    def select(self, net: nn.Module, batch: dict[str, torch.Tensor]) -> Selection:
        """The pairs kept for this batch (computed once: see the module's note)."""
        cached = self._cached_selection(batch)
        if cached is not None:
            return cached
        crops = batch["rm_crops"]
        anchors, pos, neg = batch["rm_anchor"], batch["rm_pos"], batch["rm_neg"]
        scores = self.scores(net, batch)
        keep_pos, keep_neg = select_candidates(
            scores.pos_sim,
            scores.pos_mask,
            scores.neg_sim,
            scores.neg_mask,
            self.rho,
            self.pairing != "time",
            self._generator,
        )
        # Only the anchors and the kept candidates (or the anchors alone) get a gradient.
        needed = torch.zeros(len(crops), dtype=torch.bool, device=crops.device)
        needed[anchors] = True
        targets, scored = None, scores.scored
        if self.candidate_gradient:
            needed[pos[keep_pos]] = True
            needed[neg[keep_neg]] = True
        else:
            targets, embedded = self._targets(net, crops, pos[keep_pos], neg[keep_neg], scores)
            scored += embedded
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
            stats["prior_gap"] = _mean(scores.pos_sim, keep_pos) - _mean(scores.neg_sim, keep_neg)
        index = compact if targets is None else torch.arange(len(crops), device=crops.device)
        selection = Selection(
            images=chosen,
            anchors=compact[anchors],
            positives=torch.where(keep_pos, index[pos.clamp(min=0)], 0),
            keep_positive=keep_pos,
            negatives=torch.where(keep_neg, index[neg.clamp(min=0)], 0),
            keep_negative=keep_neg,
            stats=stats,
            targets=targets,
            faces=batch["rm_face"][needed] if "rm_face" in batch else None,
        )
        self._cached = (batch, selection)
        return selection

    def _cached_selection(self, batch: dict[str, torch.Tensor]) -> Selection | None:
        """This batch dict's selection when already made (SAM's second pass), else None."""
        if self._cached is not None and self._cached[0] is batch:
            return self._cached[1]
        return None

    def _targets(
        self,
        net: nn.Module,
        crops: torch.Tensor,
        positives: torch.Tensor,
        negatives: torch.Tensor,
        scores: Scores,
    ) -> tuple[torch.Tensor, int]:
        """The kept candidates' fixed z (a row per face of the step) and how many were embedded.

        The prior has them already; time and oracle pairing embed the kept candidates only.
        """
        if scores.embeddings is not None:
            return scores.embeddings.detach(), 0
        kept = torch.cat([positives, negatives]).unique()
        z = embed(unwrap(net), crops[kept], self.embeddings.chunk, self.prepare)
        targets = z.new_zeros(len(crops), z.shape[1])
        targets[kept] = z
        return targets, len(kept)

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
        first_pass = self._cached_selection(batch) is None  # SAM calls twice per step
        selection = self.select(net, batch)
        head, rm = forward_parts(net, batch["image"], selection.images, self.bn_mode)
        soft = batch["soft_label"] if self.soft_labels else None
        terms = ial_loss(net, head, batch["label"], self.lambda_att, self.tau, soft, self.gather)
        z = rm.embeddings
        if first_pass and self.pairing == "prior" and selection.faces is not None:
            self.embeddings.remember(selection.faces, z)  # a memory bank's, at the step's weights
        candidates = z if selection.targets is None else selection.targets
        contrastive = self.contrastive(
            z[selection.anchors],
            candidates[selection.positives],
            selection.keep_positive,
            candidates[selection.negatives],
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
