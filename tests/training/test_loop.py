"""The shared loop: best weights by the monitored metric, early stopping, a custom loss callback."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from rmfer.models.sam import SAM
from rmfer.training.loop import fit, train_step
from rmfer.training.runtime import Precision

CPU = Precision(torch.device("cpu"), None)


def _setup():
    torch.manual_seed(0)
    net = nn.Linear(3, 2)
    batches = [(torch.randn(4, 3), torch.tensor([0, 1, 0, 1])) for _ in range(3)]

    def loss_fn(model, batch):  # a stage's callback: any batch shape, extra logged terms
        images, labels = batch
        loss = nn.functional.cross_entropy(model(images), labels)
        return {"loss": loss, "twice": 2 * loss.detach()}

    return net, batches, loss_fn


def test_keeps_the_best_epoch_and_stops_after_patience():
    net, batches, loss_fn = _setup()
    scores = iter([0.5, 0.7, 0.6, 0.65, 0.9])
    weights_at: dict[int, torch.Tensor] = {}

    def evaluate(model):
        weights_at[len(weights_at) + 1] = model.weight.detach().clone()
        return {"accuracy": next(scores)}

    result = fit(
        net, batches=lambda epoch: batches, loss_fn=loss_fn, evaluate=evaluate,
        optimiser=torch.optim.SGD(net.parameters(), lr=0.1), epochs=5, device=torch.device("cpu"),
        precision=CPU, monitor="accuracy", patience=2, progress=False,
    )  # fmt: skip
    assert result.best_epoch == 2 and result.stopped_early
    assert [h["epoch"] for h in result.history] == [1, 2, 3, 4]
    assert torch.equal(result.best_state["weight"], weights_at[2])
    assert result.history[0]["train_twice"] == pytest.approx(2 * result.history[0]["train_loss"])


def test_sam_step_takes_two_passes_and_changes_the_weights():
    net, batches, loss_fn = _setup()
    calls = []

    def counting(model, batch):
        calls.append(1)
        return loss_fn(model, batch)

    before = net.weight.detach().clone()
    optimiser = SAM(net.parameters(), torch.optim.Adam, rho=0.05, lr=0.01)
    terms = train_step(net, batches[0], counting, optimiser, CPU)
    assert len(calls) == 2 and set(terms) == {"loss", "twice"}
    assert not torch.equal(before, net.weight)


def test_a_non_finite_loss_stops_training_with_advice():
    net, batches, _ = _setup()
    with pytest.raises(FloatingPointError, match="lower the learning rate"):
        train_step(
            net, batches[0], lambda m, b: {"loss": torch.tensor(float("nan"), requires_grad=True)},
            torch.optim.SGD(net.parameters(), lr=0.1), CPU,
        )  # fmt: skip
