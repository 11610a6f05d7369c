"""The training loop shared by IAL and ACL: one step function, one epoch loop, a loss callback.

A stage supplies `loss_fn(net, batch) -> LossTerms` and a batch source per epoch; the loop owns
the optimiser step (plain or SAM), mixed precision, the schedule, validation, the best weights
and early stopping.
"""

from __future__ import annotations

import copy
import logging
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from tqdm.auto import tqdm

from rmfer.faults import checkpoint
from rmfer.models.sam import SAM, frozen_batch_norm_stats
from rmfer.training.runtime import Precision, to_device

logger = logging.getLogger(__name__)

LossTerms = dict[str, torch.Tensor]
"""What a loss callback returns: 'loss' is minimised; every other entry is a detached scalar
for the log."""
LossFn = Callable[[nn.Module, Any], LossTerms]
Evaluate = Callable[[nn.Module], dict[str, Any]]
EpochHook = Callable[[nn.Module], None]
EpochLog = Callable[[dict[str, Any]], None]


def train_step(
    net: nn.Module,
    batch: Any,
    loss_fn: LossFn,
    optimiser: torch.optim.Optimizer,
    precision: Precision,
    scaler: torch.amp.GradScaler | None = None,
    grad_clip: float | None = None,
) -> dict[str, float]:
    """One optimiser update on a batch already on the device; returns the loss terms as floats.

    With SAM the loss is computed twice: at w, then at the perturbed weights (BatchNorm
    statistics frozen for the second pass).
    """
    optimiser.zero_grad(set_to_none=True)
    with precision.autocast():
        terms = loss_fn(net, batch)
    loss = terms["loss"]
    if not torch.isfinite(loss):
        raise FloatingPointError(f"training loss is {loss.item()}; lower the learning rate")
    if isinstance(optimiser, SAM):
        loss.backward()
        _clip(net, grad_clip)

        def loss_at_perturbed_weights() -> torch.Tensor:
            with frozen_batch_norm_stats(net), precision.autocast():
                again = loss_fn(net, batch)["loss"]
            again.backward()
            _clip(net, grad_clip)
            return again

        optimiser.step(loss_at_perturbed_weights)
    elif scaler is not None:
        scaler.scale(loss).backward()
        scaler.unscale_(optimiser)
        _clip(net, grad_clip)
        scaler.step(optimiser)
        scaler.update()
    else:
        loss.backward()
        _clip(net, grad_clip)
        optimiser.step()
    return {name: float(value.detach()) for name, value in terms.items()}


def _clip(net: nn.Module, grad_clip: float | None) -> None:
    if grad_clip:
        nn.utils.clip_grad_norm_(net.parameters(), grad_clip)


@dataclass
class FitResult:
    """The best weights by the monitored metric, and what happened on the way."""

    best_state: dict[str, torch.Tensor]
    best_epoch: int
    best_validation: dict[str, Any]
    history: list[dict[str, Any]] = field(default_factory=list)
    stopped_early: bool = False


def _progress_bar(source: Iterable[Any], description: str, progress: bool) -> tqdm:
    total = len(source) if hasattr(source, "__len__") else None  # type: ignore[arg-type]
    return tqdm(source, total=total, desc=description, disable=not progress, leave=False)


def _mean_terms(steps: list[dict[str, float]]) -> dict[str, float]:
    return {k: sum(s[k] for s in steps) / len(steps) for k in steps[0]} if steps else {}


def _history_row(
    epoch: int,
    optimiser: torch.optim.Optimizer,
    steps: list[dict[str, float]],
    validation: dict[str, Any],
) -> dict[str, Any]:
    """One epoch's record: lr, the mean training terms and the numeric validation results."""
    return {
        "epoch": epoch,
        "lr": optimiser.param_groups[0]["lr"],
        **{f"train_{k}": v for k, v in _mean_terms(steps).items()},
        **{f"val_{k}": v for k, v in validation.items() if isinstance(v, (int, float))},
    }


def fit(
    net: nn.Module,
    *,
    batches: Callable[[int], Iterable[Any]],
    loss_fn: LossFn,
    optimiser: torch.optim.Optimizer,
    evaluate: Evaluate,
    epochs: int,
    device: torch.device,
    precision: Precision,
    monitor: str = "mean_class_accuracy",
    patience: int | None = None,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
    grad_clip: float | None = None,
    progress: bool = True,
    name: str = "train",
    log_keys: tuple[str, ...] = (),
    before_validation: EpochHook | None = None,
    on_epoch: EpochLog | None = None,
) -> FitResult:
    """Train for `epochs` (batches(epoch) gives each epoch's batches), validating after each.

    Keeps the weights with the highest `monitor` in `evaluate`'s result; stops after
    `patience` epochs without improvement when patience is set. `log_keys`: more validation
    numbers for the per-epoch log line. `before_validation(net)` runs after an epoch's steps,
    before it is scored (e.g. re-estimating BatchNorm), so the net scored is the net kept;
    `on_epoch(row)` receives each epoch's history row (e.g. for dvclive).
    """
    scaler = precision.scaler()
    history: list[dict[str, Any]] = []
    best: FitResult | None = None
    waited = 0
    for epoch in range(1, epochs + 1):
        started = time.perf_counter()
        net.train()
        bar = _progress_bar(batches(epoch), f"{name} epoch {epoch}/{epochs}", progress)
        steps: list[dict[str, float]] = []
        for batch in bar:
            batch = to_device(batch, device)
            steps.append(train_step(net, batch, loss_fn, optimiser, precision, scaler, grad_clip))
            if scheduler is not None:
                scheduler.step()
            bar.set_postfix(loss=f"{steps[-1]['loss']:.3f}")
        if not steps:
            raise ValueError(f"{name}: epoch {epoch} had no batch; is the training split empty?")
        if before_validation is not None:
            before_validation(net)
        net.eval()
        validation = evaluate(net)
        score = float(validation[monitor])
        if math.isnan(score):
            raise FloatingPointError(f"{name}: validation {monitor} is NaN at epoch {epoch}")
        history.append(_history_row(epoch, optimiser, steps, validation))
        if on_epoch is not None:
            on_epoch(history[-1])
        checkpoint("epoch_end")  # tests/faults/: killed at an epoch boundary
        improved = best is None or score > best.best_validation[monitor]
        if improved:
            state = {k: v.detach().cpu().clone() for k, v in net.state_dict().items()}
            best = FitResult(state, epoch, copy.deepcopy(validation), history)
            waited = 0
        else:
            waited += 1
        extra = "".join(
            f", {key} {validation[key]:.4f}"
            for key in log_keys
            if key in validation and key != monitor
        )
        logger.info(
            "%s epoch %d/%d: loss %.4f, val %s %.4f%s%s, %.1f s",
            *(name, epoch, epochs, history[-1]["train_loss"], monitor, score),
            *(" (best)" if improved else "", extra, time.perf_counter() - started),
        )
        if patience and waited >= patience:
            logger.info("%s: no better %s for %d epochs; stopping early", name, monitor, patience)
            best.stopped_early = True  # type: ignore[union-attr]
            break
    assert best is not None, "epochs must be >= 1"
    return best
