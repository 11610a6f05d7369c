"""AclObjective: L_IAL on the labeled batch + mu * L_ACL on the kept pairs; one prior a step."""

from __future__ import annotations

import copy
import math

import pytest
import torch

from rmfer.labels import label_names
from rmfer.models import build_network
from rmfer.models.network import NetworkConfig
from rmfer.models.sam import SAM
from rmfer.training.acl import objective as acl_objective
from rmfer.training.acl import prior as acl_prior
from rmfer.training.acl.batches import crop_transform
from rmfer.training.acl.loss import acl_loss, pair_similarity
from rmfer.training.acl.objective import AclObjective
from rmfer.training.acl.prior import prior_filter
from rmfer.training.ial.loss import ial_loss
from rmfer.training.loop import train_step
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


def make_loss(net, pairing: str = "prior", **overrides) -> AclObjective:
    options = dict(lambda_att=1.0, tau=TAU, mu=MU, rho=RHO, flip=0.0, chunk=7, seed=0)
    options.update(pairing=pairing, bn_mode="joint")
    return AclObjective(crop_transform(net.config), **{**options, **overrides})


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


def test_without_candidate_gradient_only_anchors_train_against_the_priors_embeddings(net):
    """Same pairs and (in eval mode) the same L_ACL as the paper's way; the gradient pass holds
    the anchors alone, and the candidates' z are the scoring pass's, without a gradient."""
    net.eval()
    batch = combined_batch()
    paper, fast = make_loss(net), make_loss(net, candidate_gradient=False)
    expected = paper(net, batch)
    terms = fast(net, batch)
    assert torch.isclose(terms["acl"], expected["acl"], atol=1e-5)
    assert torch.isclose(terms["ial"], expected["ial"], atol=1e-6)
    selection = fast.select(net, batch)
    assert len(selection.images) == len(batch["rm_anchor"].unique()) == 3
    assert torch.equal(selection.keep_positive, paper.select(net, batch).keep_positive)
    assert selection.targets is not None and not selection.targets.requires_grad
    assert terms["rm_faces_trained"].item() == 3
    assert terms["rm_faces_scored"].item() == 20  # the prior's pass only: nothing embedded twice

    terms["loss"].backward()
    assert net.projection[0].weight.grad is not None


def test_without_candidate_gradient_time_pairing_embeds_the_kept_candidates_only(net):
    net.eval()
    batch = combined_batch()
    fast = make_loss(net, pairing="time", candidate_gradient=False)
    selection = fast.select(net, batch)
    kept = torch.cat(
        [batch["rm_pos"][selection.keep_positive], batch["rm_neg"][selection.keep_negative]]
    ).unique()
    assert selection.stats["rm_faces_scored"].item() == len(kept) < 20
    with torch.no_grad():
        z = net(crop_transform(net.config)(batch["rm_crops"])).embeddings
    assert selection.targets is not None
    assert torch.allclose(selection.targets[kept], z[kept], atol=1e-5)
    # the same blind choice as the paper's way, for the same seed
    paper = make_loss(net, pairing="time").select(net, batch)
    assert torch.equal(selection.keep_positive, paper.keep_positive)
    assert torch.equal(selection.keep_negative, paper.keep_negative)
    terms = fast(net.train(), batch)
    assert math.isfinite(terms["loss"].item()) and terms["acl"] > 0


def test_prior_is_scored_once_per_step_even_with_sam(net, monkeypatch):
    calls = []
    original = acl_prior.embed

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(acl_prior, "embed", counting)
    optimiser = SAM(net.parameters(), torch.optim.Adam, rho=0.05, lr=1e-3)
    loss = make_loss(net, flip=0.5)
    precision = Precision(torch.device("cpu"), None)
    for seed in range(2):
        terms = train_step(net.train(), combined_batch(seed), loss, optimiser, precision)
        assert math.isfinite(terms["loss"]) and terms["acl"] > 0
    assert len(calls) == 2  # one scoring pass per step, not per SAM pass
    assert net.training  # the eval-mode scoring pass restored the mode


def test_time_pairing_scores_nothing_and_keeps_as_many_pairs(net, monkeypatch):
    batch = combined_batch()
    with_prior = make_loss(net).select(net, batch)
    monkeypatch.setattr(acl_prior, "embed", None)  # must not be called
    without = make_loss(net, pairing="time").select(net, batch)
    assert torch.equal(without.keep_positive.sum(1), with_prior.keep_positive.sum(1))
    assert torch.equal(without.keep_negative.sum(1), with_prior.keep_negative.sum(1))
    assert without.stats["rm_faces_scored"].item() == 0
    assert not torch.equal(  # a blind choice: other pairs than the prior's (for this seed)
        torch.cat([without.keep_positive, without.keep_negative], 1),
        torch.cat([with_prior.keep_positive, with_prior.keep_negative], 1),
    )


def batch_norm_buffers(net) -> dict[str, torch.Tensor]:
    return {
        name: value.clone()
        for name, value in net.state_dict().items()
        if "running_" in name or "num_batches_tracked" in name
    }


def test_separate_bn_keeps_rm_faces_out_of_the_running_statistics(net):
    """After a step, the running statistics are those a labeled-only forward leaves."""
    batch = combined_batch()
    labeled_only = copy.deepcopy(net).train()
    with torch.no_grad():
        labeled_only(batch["image"])
    expected = batch_norm_buffers(labeled_only)

    loss = make_loss(net, bn_mode="separate")
    optimiser = torch.optim.SGD(net.parameters(), lr=0.0)  # the weights stay: only BN moves
    terms = train_step(net.train(), batch, loss, optimiser, Precision(torch.device("cpu"), None))
    assert terms["acl"] > 0
    after = batch_norm_buffers(net)
    assert expected.keys() == after.keys() and expected
    for name, value in expected.items():
        assert torch.equal(after[name], value), name

    # joint, for contrast: the RM crops move the running statistics
    joint = copy.deepcopy(labeled_only)
    joint.load_state_dict(copy.deepcopy(net.state_dict()))
    fresh = copy.deepcopy(net)
    train_step(
        fresh.train(),
        combined_batch(),
        make_loss(fresh),
        torch.optim.SGD(fresh.parameters(), lr=0.0),
        Precision(torch.device("cpu"), None),
    )
    moved = batch_norm_buffers(fresh)
    assert any(not torch.equal(moved[n], v) for n, v in after.items() if "num_batches" not in n)


def test_separate_bn_gives_the_rm_part_its_own_batch_statistics(net):
    """The RM images' z in separate mode: a train-mode forward over the RM images alone."""
    batch = combined_batch()
    loss = make_loss(net, bn_mode="separate")
    selection = loss.select(net, batch)
    reference = copy.deepcopy(net).train()
    with torch.no_grad():
        z = reference(selection.images).embeddings
        expected = loss.contrastive(
            z[selection.anchors],
            z[selection.positives],
            selection.keep_positive,
            z[selection.negatives],
            selection.keep_negative,
        )
    terms = loss(net.train(), batch)
    assert torch.isclose(terms["acl"], expected, atol=1e-5)


def test_oracle_keeps_the_candidates_whose_true_mixture_is_closest(net, monkeypatch):
    batch = combined_batch()
    batch["rm_face"] = torch.arange(100, 120)  # face ids of the 20 crops
    truth = torch.full((130, 8), float("nan"))
    g = torch.Generator().manual_seed(1)
    truth[100:120] = torch.rand(20, 8, generator=g).softmax(1)
    truth[105] = float("nan")  # a face without truth is never paired
    monkeypatch.setattr(acl_prior, "embed", None)  # the oracle scores nothing with the net
    selection = make_loss(net, pairing="oracle", truth=truth).select(net, batch)

    mixtures = truth[batch["rm_face"]]
    known = ~mixtures.isnan().any(1)
    pos, neg = batch["rm_pos"], batch["rm_neg"]
    for a in range(3):
        anchor = mixtures[batch["rm_anchor"][a]]
        for candidates, keep, best in (
            (pos, selection.keep_positive, max),
            (neg, selection.keep_negative, min),
        ):
            usable = [int(c) for c in candidates[a] if c >= 0 and known[c]]
            similarity = {
                c: float(torch.cosine_similarity(anchor, mixtures[c], dim=0)) for c in usable
            }
            kept = {int(candidates[a, k]) for k in range(candidates.shape[1]) if keep[a, k]}
            assert best(similarity, key=similarity.get) in kept
            assert all(known[c] for c in kept)
    assert selection.stats["rm_faces_scored"].item() == 0
    # as many pairs as the prior keeps where every face is known
    monkeypatch.undo()
    truth[105] = truth[104]
    full = make_loss(net, pairing="oracle", truth=truth).select(net, batch)
    prior = make_loss(net).select(net, batch)
    assert torch.equal(full.keep_positive.sum(1), prior.keep_positive.sum(1))
    assert torch.equal(full.keep_negative.sum(1), prior.keep_negative.sum(1))


def test_embedding_cache_reuses_z_until_its_refresh(net, monkeypatch):
    calls = []
    original = acl_prior.embed

    def counting(model, images, *args, **kwargs):
        calls.append(len(images))
        return original(model, images, *args, **kwargs)

    monkeypatch.setattr(acl_prior, "embed", counting)
    cache = acl_prior.EmbeddingCache(3, chunk=7, prepare=crop_transform(net.config))
    crops = combined_batch()["rm_crops"]
    ids = torch.arange(20) * 2
    first, scored = cache.embed(net, crops, ids)
    assert scored == 20 and calls == [20]
    expected = original(net, crops, 7, crop_transform(net.config))
    assert torch.equal(first, expected)
    with torch.no_grad():  # the weights change: cached z stay until the refresh
        for p in net.parameters():
            p.add_(0.1)
    again, scored = cache.embed(net, crops[:10], ids[:10])
    assert scored == 0 and torch.equal(again, expected[:10])
    more = torch.randint(0, 256, (2, 3, 16, 16), dtype=torch.uint8)
    mixed, scored = cache.embed(net, torch.cat([crops[:3], more]), torch.tensor([0, 2, 4, 99, 41]))
    assert scored == 2 and torch.equal(mixed[:3], expected[:3])
    refreshed, scored = cache.embed(net, crops, ids)  # step 4: a refresh
    assert scored == 20 and not torch.allclose(refreshed, expected)
    # N = 1 is exactly the plain scoring pass every step
    plain = acl_prior.EmbeddingCache(1, chunk=7, prepare=crop_transform(net.config))
    for _ in range(2):
        z, scored = plain.embed(net, crops, None)
        assert scored == 20 and torch.equal(z, original(net, crops, 7, crop_transform(net.config)))


@pytest.mark.parametrize("sam", [False, True], ids=["sgd", "sam"])
def test_memory_bank_keeps_z_for_good_and_takes_the_trained_faces_z(net, sam):
    net.eval()  # running statistics: a face's z does not depend on its batch
    batch = {**combined_batch(), "rm_face": torch.arange(20) + 100}
    # flip 1: the anchors train mirrored, so the z they trained with differ from their scores
    loss = make_loss(net, refresh_steps=None, candidate_gradient=False, flip=1.0)
    prepare = crop_transform(net.config)
    scored_z = acl_prior.embed(net, batch["rm_crops"], 7, prepare)
    mirrored_z = acl_prior.embed(net, batch["rm_crops"].flip(-1), 7, prepare)
    optimiser = (
        SAM(net.parameters(), torch.optim.SGD, rho=0.5, lr=0.5)  # the bank keeps the z at w,
        if sam  # not at SAM's perturbed weights
        else torch.optim.SGD(net.parameters(), lr=0.5)
    )
    train_step(net, batch, loss, optimiser, Precision(torch.device("cpu"), None))
    bank = loss.embeddings
    assert bank.is_bank and bank._z is not None
    anchors = batch["rm_anchor"]
    others = torch.ones(20, dtype=torch.bool)
    others[anchors] = False
    assert torch.allclose(bank._z[100 + anchors], mirrored_z[anchors], atol=1e-5)
    assert torch.allclose(bank._z[100:120][others], scored_z[others], atol=1e-5)
    after = acl_prior.embed(net, batch["rm_crops"], 7, prepare)
    assert not torch.allclose(after, scored_z, atol=1e-3)  # the step moved the weights
    for _ in range(5):  # never refreshed: nothing is embedded again
        z, scored = bank.embed(net, batch["rm_crops"], batch["rm_face"])
        assert scored == 0 and torch.equal(z, bank._z[100:120])
    # a periodic cache ignores what trained: its z stay those of its scoring pass
    periodic = acl_prior.EmbeddingCache(4, chunk=7, prepare=prepare)
    periodic.embed(net, batch["rm_crops"], batch["rm_face"])
    periodic.remember(torch.tensor([101]), scored_z[[1]])
    z, _ = periodic.embed(net, batch["rm_crops"], batch["rm_face"])
    assert torch.equal(z[1], after[1])


def test_mu_zero_control_is_l_ial_alone():
    torch.manual_seed(0)
    config = NetworkConfig("test_efficientnet", 7, 24, label_names(7), tau=TAU)
    model = build_network(config).eval()
    batch = {k: v for k, v in combined_batch().items() if not k.startswith("rm_")}
    terms = acl_objective.IalContinued(lambda_att=1.0, tau=TAU)(model, batch)
    expected = ial_loss(model, model(batch["image"]), batch["label"], 1.0, TAU)
    assert set(terms) == {"loss", "ce_main", "ce_attention", "ial"}
    assert torch.equal(terms["loss"], expected["loss"])
