import math

import torch

from rmfer.training.acl.loss import AclLoss, acl_loss, pair_similarity
from rmfer.training.acl.prior import masked_quantile, prior_filter


def test_loss_matches_a_hand_computation():
    pos = torch.tensor([[0.9, 0.2, 0.0]])
    neg = torch.tensor([[0.1, -0.5]])
    pos_mask = torch.tensor([[True, True, False]])
    neg_mask = torch.tensor([[True, True]])
    expected = -math.log(
        (math.exp(0.9) + math.exp(0.2))
        / (math.exp(0.9) + math.exp(0.2) + math.exp(0.1) + math.exp(-0.5))
    )
    assert math.isclose(acl_loss(pos, pos_mask, neg, neg_mask).item(), expected, rel_tol=1e-6)


def test_rows_without_positives_are_left_out_of_the_mean():
    pos = torch.tensor([[1.0], [0.3]])
    neg = torch.tensor([[0.0], [0.0]])
    pos_mask = torch.tensor([[True], [False]])
    neg_mask = torch.ones(2, 1, dtype=torch.bool)
    expected = -math.log(math.exp(1.0) / (math.exp(1.0) + 1.0))
    assert math.isclose(acl_loss(pos, pos_mask, neg, neg_mask).item(), expected, rel_tol=1e-6)


def test_pair_similarity_is_cosine_over_tau():
    anchors = torch.tensor([[1.0, 0.0]])
    candidates = torch.tensor([[[2.0, 0.0], [0.0, 3.0], [-1.0, 1.0]]])
    sim = pair_similarity(anchors, candidates, tau=0.5)
    assert torch.allclose(sim, torch.tensor([[2.0, 0.0, -math.sqrt(2)]]))


def test_quantile_filter_keeps_the_top_positives_and_bottom_negatives():
    sims = torch.arange(10, dtype=torch.float32).unsqueeze(0)  # 0..9
    mask = torch.ones_like(sims, dtype=torch.bool)
    keep_pos, keep_neg = prior_filter(sims, mask, sims, mask, rho=0.2)
    assert keep_pos[0].nonzero().flatten().tolist() == [8, 9]  # >= 0.8 quantile (7.2)
    assert keep_neg[0].nonzero().flatten().tolist() == [0, 1]  # <= 0.2 quantile (1.8)


def test_quantiles_ignore_padding():
    sims = torch.tensor([[5.0, 1.0, 100.0]])
    mask = torch.tensor([[True, True, False]])
    assert torch.allclose(masked_quantile(sims, mask, 0.5), torch.tensor([3.0]))
    keep_pos, _ = prior_filter(sims, mask, sims, mask, rho=0.5)
    assert keep_pos.tolist() == [[True, False, False]]


def test_the_module_is_the_function_on_projections():
    """AclLoss(z...) is acl_loss(pair_similarity(...)) to the bit, and carries a gradient."""
    g = torch.Generator().manual_seed(0)
    anchors = torch.randn(3, 8, generator=g, requires_grad=True)
    positives, negatives = torch.randn(3, 4, 8, generator=g), torch.randn(3, 5, 8, generator=g)
    keep_pos = torch.rand(3, 4, generator=g) < 0.6
    keep_neg = torch.rand(3, 5, generator=g) < 0.6
    loss = AclLoss(tau=0.3)(anchors, positives, keep_pos, negatives, keep_neg)
    expected = acl_loss(
        pair_similarity(anchors, positives, 0.3),
        keep_pos,
        pair_similarity(anchors, negatives, 0.3),
        keep_neg,
    )
    assert torch.equal(loss, expected)
    loss.backward()
    assert anchors.grad is not None and torch.isfinite(anchors.grad).all()
