"""The generic semi-supervised baseline of the study: L = L_IAL + mu * NT-Xent on RM faces.

SimCLR (Chen et al., 2020): two random views of each of the step's RM anchors; each view's
positive is the other view of the same face, every other view in the batch is a negative. No
time window, no prior: what unlabeled faces give without the reaction-mashup structure. The
loss is lightly's `NTXentLoss` (a maintained implementation) on the projections z = g(f), at
temperature `tau` (ACL's, so both contrastive terms use the same s = cos / tau).

The views are `acl.augmentation` (the labeled images' random crop, flip and colour jitter),
drawn per face with torch's global generator (seeded by the run).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from rmfer.training.acl.objective import forward_parts
from rmfer.training.ial.loss import ial_loss
from rmfer.training.loop import LossTerms

Augment = Callable[[torch.Tensor], torch.Tensor]
"""One (3, h, w) uint8 crop -> one random view, the network's normalised float input."""


def nt_xent_loss(temperature: float, gather: bool = False) -> nn.Module:
    """lightly's NT-Xent: `loss(z0, z1)` with (B, D) views; the pairs are (z0[i], z1[i]).

    With `gather` across processes, every rank's views are negatives too (lightly's own
    autograd-aware gather)."""
    from lightly.loss import NTXentLoss  # imported only by the runs that use it (~3 s)

    return NTXentLoss(temperature=temperature, gather_distributed=gather)


class SimclrObjective:
    """Batch {"image", "label"[, "soft_label"], "rm_crops"}: `rm_crops` (B, 3, h, w) uint8, the
    step's anchors. The views are drawn once per batch dict, so SAM's second pass sees the
    same ones."""

    def __init__(
        self,
        augment: Augment,
        *,
        lambda_att: float,
        tau: float,
        mu: float,
        bn_mode: str,
        soft_labels: bool = False,
        gather: bool = False,
    ) -> None:
        self.augment = augment
        self.lambda_att, self.tau, self.mu, self.bn_mode = lambda_att, tau, mu, bn_mode
        self.soft_labels, self.gather = soft_labels, gather
        self.contrastive = nt_xent_loss(tau, gather)
        self._cached: tuple[dict[str, torch.Tensor], torch.Tensor] | None = None

    def views(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """(2B, ...) images: the first view of every face, then the second."""
        if self._cached is not None and self._cached[0] is batch:
            return self._cached[1]
        crops = batch["rm_crops"]
        first = torch.stack([self.augment(crop) for crop in crops])
        second = torch.stack([self.augment(crop) for crop in crops])
        images = torch.cat([first, second])
        self._cached = (batch, images)
        return images

    def __call__(self, net: nn.Module, batch: dict[str, torch.Tensor]) -> LossTerms:
        views = self.views(batch)
        head, rm = forward_parts(net, batch["image"], views, self.bn_mode)
        soft = batch["soft_label"] if self.soft_labels else None
        terms = ial_loss(net, head, batch["label"], self.lambda_att, self.tau, soft, self.gather)
        z0, z1 = rm.embeddings.float().chunk(2)
        contrastive = self.contrastive(z0, z1)
        return {
            **terms,
            "loss": terms["loss"] + self.mu * contrastive,
            "ial": terms["loss"].detach(),
            "simclr": contrastive.detach(),
            "rm_faces_trained": torch.tensor(float(len(views))),
        }
