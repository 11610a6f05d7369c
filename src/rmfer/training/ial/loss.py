"""IAL's loss: cross-entropy on the features and on what inter-sample attention makes of them.

Stage 1 of docs/method.md. `ial_loss` works on a net output, so ACL adds its term to the same
labeled batch; `IalLoss` is the module the training loop calls with (net, batch).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from rmfer.models.network import NetOutput
from rmfer.training.collectives import gather_rows, share_mean
from rmfer.training.distributed import is_distributed, unwrap
from rmfer.training.loop import LossTerms


def cross_entropy(
    logits: torch.Tensor,
    labels: torch.Tensor,
    soft: torch.Tensor | None,
    reduction: str = "mean",
) -> torch.Tensor:
    """Hard-label CE, or CE against a vote distribution when `soft` is given."""
    target = soft if soft is not None else labels
    return F.cross_entropy(logits.float(), target, reduction=reduction)


def ial_loss(
    net: nn.Module,
    output: NetOutput,
    labels: torch.Tensor,
    lambda_att: float,
    tau: float,
    soft_labels: torch.Tensor | None = None,
    gather: bool = False,
) -> LossTerms:
    """Both terms of L_IAL for one batch (see `IalLoss`); the attention runs over this batch,
    or with `gather` across processes over the global batch (`global_ial_loss`)."""
    if gather and is_distributed():
        return global_ial_loss(net, output, labels, lambda_att, tau, soft_labels)
    main = cross_entropy(output.logits, labels, soft_labels)
    attention = unwrap(net).attend(output, tau)
    attended = cross_entropy(attention.logits, labels, soft_labels)
    return {
        "loss": main + lambda_att * attended,
        "ce_main": main.detach(),
        "ce_attention": attended.detach(),
    }


def global_ial_loss(
    net: nn.Module,
    output: NetOutput,
    labels: torch.Tensor,
    lambda_att: float,
    tau: float,
    soft_labels: torch.Tensor | None = None,
) -> LossTerms:
    """L_IAL of this rank's rows, each attending over the rows of every rank (f and z
    gathered), as this rank's share of the global batch's mean: the ranks' gradients average
    to the single-process gradient on the whole batch."""
    (features, embeddings), rows = gather_rows(output.features, output.embeddings)
    total = len(features)
    attention = unwrap(net).attend(NetOutput(features, embeddings, output.logits), tau)
    main = share_mean(cross_entropy(output.logits, labels, soft_labels, "none"), total)
    attended_rows = attention.logits[rows]
    attended = share_mean(cross_entropy(attended_rows, labels, soft_labels, "none"), total)
    return {
        "loss": main + lambda_att * attended,
        "ce_main": main.detach(),
        "ce_attention": attended.detach(),
    }


class IalLoss(nn.Module):
    """Inter-sample attention loss, stage 1 of RMFER.

    Each sample of a batch attends over the *other* samples of the batch, and what it gathers
    must still be classified as its own label; so the similarity s becomes an expression
    similarity learned from labels:

        s(i, j)    = cos(z_i, z_j) / tau,          z = g(f), f the backbone's feature
        A[i, j]    = softmax_j s(i, j),            with A[i, i] masked (-inf before softmax)
        f_att_i    = sum_j A[i, j] f_j
        L_IAL      = CE(W_main f_i, y_i) + lambda_att * CE(W_att f_att_i, y_i)

    averaged over the batch. With `soft_labels`, CE is taken against the batch's vote
    distributions (FERPlus). Batches need several samples per class (the balanced sampler).

    - Paper: RMFER: Semi-supervised Contrastive Learning for Facial Expression Recognition with
      Reaction Mashup Video, WACV 2024; docs/method.md, stage 1.

    Attributes:
        lambda_att: Weight of the attention term; 0 gives the cross-entropy baseline.
        tau: Temperature of s(i, j).
        soft_labels: Train on the batch's "soft_label" instead of "label".
        gather: Across processes, attend over the global batch (every rank's f and z).

    Examples:
        >>> loss_fn = IalLoss(lambda_att=0.25, tau=0.1)
        >>> terms = loss_fn(net, {"image": images, "label": labels})
        >>> terms["loss"].backward()
    """

    def __init__(
        self, lambda_att: float, tau: float, soft_labels: bool = False, gather: bool = False
    ) -> None:
        super().__init__()
        self.lambda_att = lambda_att
        self.tau = tau
        self.soft_labels = soft_labels
        self.gather = gather

    def forward(self, net: nn.Module, batch: dict[str, torch.Tensor]) -> LossTerms:
        """Batch {"image", "label"[, "soft_label"]} -> {"loss", "ce_main", "ce_attention"}."""
        soft = batch["soft_label"] if self.soft_labels else None
        output = net(batch["image"])
        return ial_loss(net, output, batch["label"], self.lambda_att, self.tau, soft, self.gather)
