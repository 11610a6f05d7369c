"""The training loop shared by IAL and ACL: one step function, one epoch loop, a loss callback.

A stage supplies `loss_fn(net, batch) -> LossTerms` and a batch source per epoch; the loop owns
the optimiser step (plain or SAM), mixed precision, the schedule, validation, the best weights
and early stopping.
"""

from __future__ import annotations

import contextlib
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
from rmfer.training.collectives import local_gradients, mean_over_ranks, rank_zero_says
from rmfer.training.distributed import is_main
from rmfer.training.runtime import Precision, to_device
from rmfer.training.state import Progress, Trained, TrainingState

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
    statistics frozen for the second pass). Under DDP (`net` the wrapper) SAM's first pass
    keeps each rank's own gradient (`local_gradients`); the second, applied, is averaged. The
    terms returned are the mean over the ranks (the global batch's).
    """
    optimiser.zero_grad(set_to_none=True)
    sam = isinstance(optimiser, SAM)
    with local_gradients(net) if sam else contextlib.nullcontext(), precision.autocast():
        terms = loss_fn(net, batch)
    loss = terms["loss"]
    if not torch.isfinite(loss):
        raise FloatingPointError(f"training loss is {loss.item()}; lower the learning rate")
    if sam:
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
    return mean_over_ranks(terms)


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


def _train_epoch(
    trained: Trained,
    source: Iterable[Any],
    loss_fn: LossFn,
    device: torch.device,
    precision: Precision,
    grad_clip: float | None,
    at: Progress,
    state: TrainingState | None,
    per_epoch: int | None,
    step_net: nn.Module | None = None,
) -> None:
    """The epoch's steps from where `at` stands, through `step_net` (DDP) when given, else
    `trained.net`; the state is saved when due (`state.due`)."""
    for batch in source:
        batch = to_device(batch, device)
        terms = train_step(
            trained.net if step_net is None else step_net,
            batch,
            loss_fn,
            trained.optimiser,
            precision,
            trained.scaler,
            grad_clip,
        )
        at.steps.append(terms)
        if trained.scheduler is not None:
            trained.scheduler.step()
        at.step += 1
        if isinstance(source, tqdm):
            source.set_postfix(loss=f"{terms['loss']:.3f}")
        if state is not None and state.due(at.step, per_epoch):
            state.save(trained, at)
            checkpoint("training_state_saved")  # tests/faults/: killed mid-epoch


def _select(
    net: nn.Module,
    optimiser: torch.optim.Optimizer,
    at: Progress,
    validation: dict[str, Any],
    monitor: str,
    patience: int | None,
    on_epoch: EpochLog | None,
    name: str,
) -> None:
    """Record the epoch; keep the weights when `monitor` improved; stop after `patience`."""
    score = float(validation[monitor])
    if math.isnan(score):
        raise FloatingPointError(f"{name}: validation {monitor} is NaN at epoch {at.epoch}")
    at.history.append(_history_row(at.epoch, optimiser, at.steps, validation))
    if on_epoch is not None:
        on_epoch(at.history[-1])
    if at.best_validation is None or score > at.best_validation[monitor]:
        at.best_state = {k: v.detach().cpu().clone() for k, v in net.state_dict().items()}
        at.best_epoch, at.best_validation, at.waited = at.epoch, copy.deepcopy(validation), 0
    else:
        at.waited += 1
    if patience and at.waited >= patience:
        at.stopped_early = at.finished = True


def _follow(net: nn.Module, optimiser: torch.optim.Optimizer, at: Progress) -> None:
    """A rank other than 0 at an epoch's end: its training terms, its weights as the 'best'
    (rank 0 returns the kept ones; these are only there to be discarded)."""
    at.history.append(_history_row(at.epoch, optimiser, at.steps, {}))
    at.best_state = net.state_dict()
    at.best_epoch = at.epoch


def _log_epoch(
    name: str,
    at: Progress,
    epochs: int,
    validation: dict[str, Any],
    monitor: str,
    log_keys: tuple[str, ...],
    started: float,
) -> None:
    extra = "".join(
        f", {key} {validation[key]:.4f}" for key in log_keys if key in validation and key != monitor
    )
    logger.info(
        "%s epoch %d/%d: loss %.4f, val %s %.4f%s%s, %.1f s",
        *(name, at.epoch, epochs, at.history[-1]["train_loss"], monitor),
        float(validation[monitor]),
        *(" (best)" if at.best_epoch == at.epoch else "", extra, time.perf_counter() - started),
    )
    if at.stopped_early:
        logger.info("%s: no better %s for %d epochs; stopping early", name, monitor, at.waited)


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
    state: TrainingState | None = None,
    step_net: nn.Module | None = None,
) -> FitResult:
    """Train for `epochs` (batches(epoch) gives each epoch's batches), validating after each.

    Keeps the weights with the highest `monitor` in `evaluate`'s result; stops after
    `patience` epochs without improvement when patience is set. `log_keys`: more validation
    numbers for the per-epoch log line. `before_validation(net)` runs after an epoch's steps,
    before it is scored (e.g. re-estimating BatchNorm), so the net scored is the net kept;
    `on_epoch(row)` receives each epoch's history row (e.g. for dvclive). With `state` the
    run continues from its training-state file when it has one, and writes it as it goes.
    `step_net`: what the steps run through, DDP around `net` across processes; there rank 0
    alone validates, logs and keeps the best weights, and says when to stop.
    """
    trained = Trained(net, optimiser, scheduler, precision.scaler())
    at = (state.restore(trained) if state is not None else None) or Progress()
    if on_epoch is not None:
        for row in at.history:  # a resumed run's curves start where the killed run's did
            on_epoch(row)
    per_epoch = len(batches) if hasattr(batches, "__len__") else None  # type: ignore[arg-type]
    while not at.finished and at.epoch <= epochs:
        started = time.perf_counter()
        net.train()
        description = f"{name} epoch {at.epoch}/{epochs}"
        source = _progress_bar(batches(at.epoch), description, progress and is_main())
        _train_epoch(
            trained, source, loss_fn, device, precision, grad_clip, at, state, per_epoch, step_net
        )
        if not at.steps:
            raise ValueError(f"{name}: epoch {at.epoch} had no batch; is the training split empty?")
        if before_validation is not None:
            before_validation(net)
        if is_main():
            net.eval()
            validation = evaluate(net)
            _select(net, optimiser, at, validation, monitor, patience, on_epoch, name)
            _log_epoch(name, at, epochs, validation, monitor, log_keys, started)
        else:
            _follow(net, optimiser, at)
        at.stopped_early = at.finished = rank_zero_says(at.finished)
        at.next_epoch(epochs)
        if state is not None:
            state.save(trained, at)
            checkpoint("training_state_saved")
        checkpoint("epoch_end")  # tests/faults/: killed at an epoch boundary, its state saved
    if at.best_state is None:
        raise ValueError("epochs must be >= 1")
    return FitResult(
        at.best_state, at.best_epoch, at.best_validation or {}, at.history, at.stopped_early
    )
