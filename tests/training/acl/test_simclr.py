"""The SimCLR baseline: lightly's NT-Xent against a computation of our own, and its objective."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from rmfer.labels import label_names
from rmfer.models import build_network
from rmfer.models.network import NetworkConfig
from rmfer.training.acl.simclr import SimclrObjective, nt_xent_loss
from rmfer.training.ial.loss import ial_loss

TAU = 0.5


def independent_nt_xent(z0: torch.Tensor, z1: torch.Tensor, tau: float) -> float:
    """SimCLR's loss written out: for each of the 2B views, -log of its partner's share among
    the other 2B - 1 views, averaged."""
    z = F.normalize(torch.cat([z0, z1]), dim=1).double()
    n = len(z0)
    total = 0.0
    for i in range(2 * n):
        partner = (i + n) % (2 * n)
        others = [j for j in range(2 * n) if j != i]
        logits = torch.stack([z[i] @ z[j] / tau for j in others])
        total += float(torch.logsumexp(logits, 0) - z[i] @ z[partner] / tau)
    return total / (2 * n)


def test_nt_xent_is_simclrs_loss():
    g = torch.Generator().manual_seed(0)
    z0, z1 = torch.randn(6, 5, generator=g), torch.randn(6, 5, generator=g)
    loss = nt_xent_loss(TAU)(z0, z1)
    assert math.isclose(loss.item(), independent_nt_xent(z0, z1, TAU), rel_tol=1e-5)
    # views that agree cost less than views that do not
    assert nt_xent_loss(TAU)(z0, z0 + 0.01).item() < loss.item()


def test_objective_is_ial_plus_mu_nt_xent_on_two_views_of_the_anchors():
    torch.manual_seed(0)
    config = NetworkConfig("test_efficientnet", 7, 24, label_names(7), tau=TAU)
    net = build_network(config).eval()  # running statistics: z does not depend on the batch
    g = torch.Generator().manual_seed(0)
    batch = {
        "image": torch.randn(8, 3, 24, 24, generator=g),
        "label": torch.arange(8) % 7,
        "rm_crops": torch.randint(0, 256, (5, 3, 16, 16), generator=g, dtype=torch.uint8),
    }
    seen = []

    def augment(crop: torch.Tensor) -> torch.Tensor:  # a known "view": the crop, shifted
        seen.append(crop)
        view = torch.nn.functional.interpolate(crop[None].float() / 255, size=24)[0]
        return view + 0.01 * len(seen)

    objective = SimclrObjective(augment, lambda_att=1.0, tau=TAU, mu=0.3, bn_mode="joint")
    terms = objective(net, batch)
    assert len(seen) == 10  # two views of each anchor, drawn once per batch
    objective(net, batch)
    assert len(seen) == 10  # SAM's second pass reuses them
    views = objective.views(batch)
    with torch.no_grad():
        z = net(views).embeddings
        expected_ntx = independent_nt_xent(z[:5], z[5:], TAU)
        expected_ial = ial_loss(net, net(batch["image"]), batch["label"], 1.0, TAU)["loss"]
    assert math.isclose(terms["simclr"].item(), expected_ntx, rel_tol=1e-4)
    assert math.isclose(terms["ial"].item(), expected_ial.item(), rel_tol=1e-5)
    assert math.isclose(
        terms["loss"].item(), expected_ial.item() + 0.3 * expected_ntx, rel_tol=1e-4
    )
    assert "acl" not in terms
