"""SAM: the two-step update equals the formula on a quadratic; BatchNorm stats stay put."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from rmfer.models.sam import SAM, frozen_batch_norm_stats


def test_sam_step_equals_the_formula_on_a_quadratic():
    matrix = torch.tensor([[3.0, 0.5], [0.5, 1.0]])
    start = torch.tensor([1.0, -2.0])
    weight = nn.Parameter(start.clone())
    rho, lr = 0.1, 0.05
    optimiser = SAM([weight], torch.optim.SGD, rho=rho, lr=lr)

    def loss() -> torch.Tensor:
        return 0.5 * weight @ matrix @ weight

    loss().backward()
    optimiser.step(closure=lambda: loss().backward())

    gradient = matrix @ start
    perturbed = start + rho * gradient / gradient.norm()
    expected = start - lr * (matrix @ perturbed)
    torch.testing.assert_close(weight.detach(), expected)


def test_first_and_second_step_restore_the_weights_before_stepping():
    weight = nn.Parameter(torch.tensor([2.0, 0.0]))
    optimiser = SAM([weight], torch.optim.SGD, rho=0.5, lr=0.0)
    (weight**2).sum().backward()
    optimiser.first_step()
    torch.testing.assert_close(weight.detach(), torch.tensor([2.5, 0.0]))  # w + rho * g / |g|
    optimiser.zero_grad()
    (weight**2).sum().backward()
    optimiser.second_step()
    torch.testing.assert_close(weight.detach(), torch.tensor([2.0, 0.0]))  # lr 0: back to w


def test_schedulers_see_the_base_learning_rate():
    weight = nn.Parameter(torch.zeros(2))
    optimiser = SAM([weight], torch.optim.Adam, rho=0.05, lr=0.1)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda step: 0.5)
    weight.sum().backward()
    optimiser.step(closure=lambda: weight.sum().backward())
    scheduler.step()
    assert optimiser.base_optimizer.param_groups[0]["lr"] == pytest.approx(0.05)


def test_batch_norm_statistics_are_frozen_during_the_second_pass():
    net = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    net.train()
    net(torch.randn(8, 3))
    before = net[1].running_mean.clone()
    with frozen_batch_norm_stats(net):
        net(torch.randn(8, 3) + 5)
    torch.testing.assert_close(net[1].running_mean, before)
    assert net[1].momentum == pytest.approx(0.1)


def test_rho_must_be_positive_and_step_needs_a_closure():
    weight = nn.Parameter(torch.zeros(1))
    with pytest.raises(ValueError, match="rho must be > 0"):
        SAM([weight], torch.optim.SGD, rho=0.0, lr=0.1)
    with pytest.raises(ValueError, match="closure"):
        SAM([weight], torch.optim.SGD, lr=0.1).step()
