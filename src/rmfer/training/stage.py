"""What IAL and ACL set up the same way around the one training loop, written once.

Both stages run on the device their parameters name, seeded and (on CPU) deterministic; split
the benchmark index the same way; build the transforms from the network's config, the optimiser,
the learning-rate schedule and the precision; score the validation split after every epoch with
`fit`; keep the best epoch's weights; and write the training state a killed run resumes from
(`rmfer.training.state`), removed when the run completes. A stage brings only its network, its
batches and its loss: see `rmfer.training.ial.train` and `rmfer.training.acl.train`.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import pandas as pd
import torch
from torch.utils.data import DataLoader, Dataset

from rmfer.data.transforms import eval_transform, train_transform
from rmfer.models.network import AttentionNet, NetworkConfig
from rmfer.training.distributed import is_main, local_device, rank, wrap
from rmfer.training.live import epoch_log
from rmfer.training.loop import EpochHook, FitResult, LossFn, fit
from rmfer.training.optim import build_optimiser, build_scheduler
from rmfer.training.params import TrainingParams
from rmfer.training.runtime import Precision, deterministic, resolve_device, seed_everything
from rmfer.training.scoring import evaluate_split
from rmfer.training.splits import training_splits
from rmfer.training.state import TrainingState


def open_device(params: TrainingParams) -> torch.device:
    """The device `params.device` names, with `params.threads` CPU threads for torch."""
    device = local_device(resolve_device(params.device))  # across processes: LOCAL_RANK's GPU
    if params.threads and device.type == "cpu":
        torch.set_num_threads(params.threads)
    return device


def format_metric(value: float | None) -> str:
    """A metric for the log: four decimals, or n/a where there was nothing to measure."""
    return "n/a" if value is None else f"{value:.4f}"


@dataclass(frozen=True)
class Splits:
    """The benchmark's rows that train, choose the best epoch, and measure the result."""

    train: pd.DataFrame
    validation: pd.DataFrame
    test: pd.DataFrame
    mode: str  # how validation was chosen (see `training_splits`)

    def sizes(self) -> dict[str, int]:
        return {
            "train": len(self.train),
            "validation": len(self.validation),
            "test": len(self.test),
        }


class StageRun:
    """One training run of a stage; open it with `StageRun.open(name, params)`.

    The order of the calls is the order a stage makes them in, since the global random state
    (seeded on opening) is consumed by whatever builds a network in between.
    """

    def __init__(
        self,
        name: str,
        params: TrainingParams,
        device: torch.device,
        generator: torch.Generator,
    ) -> None:
        self.name, self.params, self.device, self.generator = name, params, device, generator
        self.started = time.perf_counter()
        self.optimiser: torch.optim.Optimizer | None = None
        self.scheduler: torch.optim.lr_scheduler.LambdaLR | None = None
        self.precision = Precision(device, None)
        self.state: TrainingState | None = None  # made by `fit` when params.state_dir is set

    @classmethod
    @contextlib.contextmanager
    def open(cls, name: str, params: TrainingParams) -> Iterator[StageRun]:
        """Device and threads, then seeds, deterministic kernels on CPU for the duration."""
        device = open_device(params)
        with deterministic(device.type == "cpu"):
            run = cls(name, params, device, seed_everything(params.seed))
            if rank():  # each rank its own augmentation and dropout; DDP gives rank 0's weights
                seed_everything(params.seed + 7919 * rank())
            yield run
        if run.state is not None:  # completed: the next run starts afresh
            run.state.finish()

    @property
    def pin(self) -> bool:
        return self.device.type == "cuda"

    def seconds(self) -> float:
        return time.perf_counter() - self.started

    def split(self, index: pd.DataFrame) -> Splits:
        params = self.params
        return Splits(
            *training_splits(
                index,
                params.validation_split,
                params.validation_fraction,
                params.seed,
                params.SECTION,
            )
        )

    def transforms(self, config: NetworkConfig) -> tuple[Any, Any]:
        """(training transform with the augmentation, evaluation transform) for the net."""
        train = train_transform(
            config.image_size, config.mean, config.std, self.params.augmentation
        )
        return train, eval_transform(config.image_size, config.mean, config.std)

    def eval_loader(self, data: Dataset) -> DataLoader:
        params = self.params
        return DataLoader(
            data,
            batch_size=params.eval_batch_size,
            num_workers=params.num_workers,
            pin_memory=self.pin,
        )

    def prepare_optimisation(self, net: AttentionNet, steps_per_epoch: int) -> None:
        """The optimiser, its per-step schedule over all epochs, and the precision."""
        params = self.params
        self.optimiser = build_optimiser(
            net, params.optimiser, params.lr, params.weight_decay, params.sam_base, params.sam_rho
        )
        self.scheduler = build_scheduler(
            self.optimiser,
            params.scheduler,
            params.epochs * steps_per_epoch,
            round(params.warmup_epochs * steps_per_epoch),
        )
        self.precision = Precision.choose(self.device, params.amp, params.optimiser == "sam")

    def score(self, net: AttentionNet, loader: DataLoader) -> dict[str, Any]:
        """The metrics of `net` on a split, at the net's own tau (ACL has set its own there).

        Across processes rank 0 alone scores; the others get {} (their results are not kept).
        """
        if not is_main():
            return {}
        params = self.params
        return evaluate_split(
            net,
            loader,
            self.device,
            self.precision,
            net.config.tau,
            params.max_attention_samples,
            params.seed,
        )

    def fit(
        self,
        net: AttentionNet,
        batches: Callable[[int], Iterable[Any]],
        loss_fn: LossFn,
        validation: DataLoader,
        progress: bool,
        log_keys: tuple[str, ...],
        before_validation: EpochHook | None = None,
        inputs: dict[str, Any] | None = None,
    ) -> FitResult:
        """Train with the loop, scoring `validation` each epoch; `net` ends at the best epoch.

        Each epoch's history row goes to dvclive under `<live_dir>/<run name>` when set. With
        `state_dir` set the run writes its training state and resumes from it (`resume`);
        `inputs` (tables, checkpoints) join the parameters in the state's fingerprint.
        """
        if self.optimiser is None:
            raise RuntimeError("prepare_optimisation must come before fit")
        params = self.params
        if params.state_dir is not None:
            self.state = TrainingState.for_run(
                params.state_dir,
                self.name,
                params.to_dict(),
                inputs or {},
                params.resume,
                params.checkpoint_every_steps,
                {"batches": batches, "objective": loss_fn},
            )
        live_dir = params.live_dir if is_main() else None  # one log: rank 0's
        with epoch_log(live_dir, self.name) as on_epoch:
            result = fit(
                net,
                batches=batches,
                loss_fn=loss_fn,
                optimiser=self.optimiser,
                evaluate=lambda model: self.score(model, validation),  # type: ignore[arg-type]
                epochs=params.epochs,
                device=self.device,
                precision=self.precision,
                monitor=params.best_metric,
                patience=params.early_stopping_patience,
                scheduler=self.scheduler,
                grad_clip=params.grad_clip,
                progress=progress,
                name=self.name,
                log_keys=log_keys,
                before_validation=before_validation,
                on_epoch=on_epoch,
                state=self.state,
                step_net=wrap(net, self.device, params.distributed),
            )
        net.load_state_dict(result.best_state)
        return result
