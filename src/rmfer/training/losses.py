"""L_IAL = CE(W_main f, y) + lambda_att * CE(W_att f_att, y) (method.md, stage 1).

`ial_loss` works on a net output, so a later stage can add its own terms to the same batch;
`IalLoss` is the loss callback the training loop calls with (net, batch).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from rmfer.models.network import AttentionNet, NetOutput

LossTerms = dict[str, torch.Tensor]
"""'loss' is minimised; every other entry is a detached scalar for the log."""


def cross_entropy(
    logits: torch.Tensor, labels: torch.Tensor, soft: torch.Tensor | None
) -> torch.Tensor:
    """Hard-label CE, or CE against a vote distribution when `soft` is given."""
    return F.cross_entropy(logits.float(), soft if soft is not None else labels)


def ial_loss(
    net: AttentionNet,
    output: NetOutput,
    labels: torch.Tensor,
    lambda_att: float,
    tau: float,
    soft_labels: torch.Tensor | None = None,
) -> LossTerms:
    """Both terms of L_IAL for one batch; the attention runs over this batch only."""
    main = cross_entropy(output.logits, labels, soft_labels)
    attention = net.attend(output, tau)
    attended = cross_entropy(attention.logits, labels, soft_labels)
    return {
        "loss": main + lambda_att * attended,
        "ce_main": main.detach(),
        "ce_attention": attended.detach(),
    }


class IalLoss:
    """The loss callback of stage 1: batch {"image", "label"[, "soft_label"]} -> LossTerms."""

    def __init__(self, lambda_att: float, tau: float, soft_labels: bool = False) -> None:
        self.lambda_att = lambda_att
        self.tau = tau
        self.soft_labels = soft_labels

    def __call__(self, net: AttentionNet, batch: dict[str, torch.Tensor]) -> LossTerms:
        soft = batch["soft_label"] if self.soft_labels else None
        return ial_loss(net, net(batch["image"]), batch["label"], self.lambda_att, self.tau, soft)
