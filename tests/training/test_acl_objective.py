"""AclLoss: L_IAL on the labeled batch + mu * L_ACL on the kept pairs, the prior once per step."""

from __future__ import annotations

import math

import pytest
import torch

from rmfer.labels import label_names
from rmfer.models import build_network
from rmfer.models.network import NetworkConfig
from rmfer.models.sam import SAM
from rmfer.training import acl_objective
from rmfer.training.acl import crop_transform
from rmfer.training.acl_loss import acl_loss, pair_similarity, prior_filter
from rmfer.training.acl_objective import AclLoss
from rmfer.training.loop import train_step
from rmfer.training.losses import ial_loss
from rmfer.training.runtime import Precision

TAU, MU, RHO = 0.5, 0.7, 0.25


@pytest.fixture
def net():
    torch.manual_seed(0)
    config = NetworkConfig("test_efficientnet", 7, 24, label_names(7), tau=TAU)
    return build_network(config)


def combined_batch(seed: int = 0) -> dict[str, torch.Tensor]:
    """8 labeled images; 3 anchors with 4 + 4 candidates among 20 distinct RM crops."""
    g = torch.Generator().manual_seed(seed)
    pos = torch.randint(3, 20, (3, 4), generator=g)
    pos[1, 3] = -1  # padding
    neg = torch.randint(3, 20, (3, 4), generator=g)
    return {
        "image": torch.randn(8, 3, 24, 24, generator=g),
        "label": torch.arange(8) % 7,
        "rm_crops": torch.randint(0, 256, (20, 3, 16, 16), generator=g, dtype=torch.uint8),
        "rm_anchor": torch.tensor([0, 1, 2]),
        "rm_pos": pos,
        "rm_neg": neg,
    }


def make_loss(net, prior: bool = True, **overrides) -> AclLoss:
    options = dict(lambda_att=1.0, tau=TAU, mu=MU, rho=RHO, prior=prior, flip=0.0, chunk=7, seed=0)
    return AclLoss(crop_transform(net.config), **{**options, **overrides})


def test_loss_is_ial_plus_mu_acl_over_the_pairs_the_prior_keeps(net):
    net.eval()  # BatchNorm by running statistics: a face's z does not depend on its batch
    batch = combined_batch()
    loss = make_loss(net)
    terms = loss(net, batch)

    # Independently: every RM face through the net, the filter, the loss on the full grid.
    with torch.no_grad():
        z = net(crop_transform(net.config)(batch["rm_crops"])).embeddings
        anchors = z[batch["rm_anchor"]]
        pos_sim = pair_similarity(anchors, z[batch["rm_pos"].clamp(min=0)], TAU)
        neg_sim = pair_similarity(anchors, z[batch["rm_neg"].clamp(min=0)], TAU)
        keep_pos, keep_neg = prior_filter(
            pos_sim, batch["rm_pos"] >= 0, neg_sim, batch["rm_neg"] >= 0, RHO
        )
        expected_acl = acl_loss(pos_sim, keep_pos, neg_sim, keep_neg)
        expected_ial = ial_loss(net, net(batch["image"]), batch["label"], 1.0, TAU)["loss"]
    assert torch.isclose(terms["acl"], expected_acl, atol=1e-5)
    assert torch.isclose(terms["ial"], expected_ial, atol=1e-5)
    assert math.isclose(
        terms["loss"].item(), (expected_ial + MU * expected_acl).item(), rel_tol=1e-5
    )

    # Only the anchors and the kept candidates went through the gradient pass.
    selection = loss.select(net, batch)
    kept = torch.cat(
        [batch["rm_anchor"], batch["rm_pos"][keep_pos], batch["rm_neg"][keep_neg]]
    ).unique()
    assert len(selection.images) == len(kept) < len(batch["rm_crops"])
    assert torch.equal(selection.keep_positive, keep_pos)
    assert terms["kept_positives"].item() == keep_pos.sum(1).float().mean().item()
    terms["loss"].backward()
    assert net.projection[0].weight.grad is not None


def test_prior_is_scored_once_per_step_even_with_sam(net, monkeypatch):
    calls = []
    original = acl_objective.embed

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(acl_objective, "embed", counting)
    optimiser = SAM(net.parameters(), torch.optim.Adam, rho=0.05, lr=1e-3)
    loss = make_loss(net, flip=0.5)
    precision = Precision(torch.device("cpu"), None)
    for seed in range(2):
        terms = train_step(net.train(), combined_batch(seed), loss, optimiser, precision)
        assert math.isfinite(terms["loss"]) and terms["acl"] > 0
    assert len(calls) == 2  # one scoring pass per step, not per SAM pass
    assert net.training  # the eval-mode scoring pass restored the mode


def test_without_the_prior_nothing_is_scored_and_as_many_pairs_are_kept(net, monkeypatch):
    batch = combined_batch()
    with_prior = make_loss(net).select(net, batch)
    monkeypatch.setattr(acl_objective, "embed", None)  # must not be called
    without = make_loss(net, prior=False).select(net, batch)
    assert torch.equal(without.keep_positive.sum(1), with_prior.keep_positive.sum(1))
    assert torch.equal(without.keep_negative.sum(1), with_prior.keep_negative.sum(1))
    assert without.stats["rm_faces_scored"].item() == 0
    assert not torch.equal(  # a blind choice: other pairs than the prior's (for this seed)
        torch.cat([without.keep_positive, without.keep_negative], 1),
        torch.cat([with_prior.keep_positive, with_prior.keep_negative], 1),
    )
