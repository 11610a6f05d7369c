import math

import torch

from rmfer.training.acl_loss import acl_loss, masked_quantile, pair_similarity, prior_filter


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
