"""Resume after a crash: a training-state file per run, written as training goes, read on start.

`<state_dir>/<run>_state.pt` (data/06_models/ial_state.pt, baseline_state.pt, acl_state.pt)
holds everything the rest of the run depends on: the weights, the best weights so far and the
selection's state, the optimiser (SAM's base included), the schedule, the gradient scaler, every
random state (torch, CUDA, NumPy, Python, and the generators of the stage's own parts: sampler
positions, RM draws), the epoch and step, the steps' loss terms so far, and a fingerprint of the
parameters and inputs that shape the result. It is written at every epoch's end and every
`checkpoint_every_steps` steps, atomically, as plain values and tensors (it loads with
`torch.load(weights_only=True)`).

`resume: auto` continues from it when its fingerprint is the run's; otherwise the run starts
afresh and says why. A run that completes removes its file, so the next run starts afresh.
On CPU with `num_workers: 0` a resumed run ends with the very weights of an uninterrupted one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd
import torch

from rmfer.files import replace_atomically
from rmfer.training.distributed import is_main
from rmfer.training.optim import load_optimiser_state, optimiser_state

logger = logging.getLogger(__name__)

FORMAT = "rmfer.training_state.v1"
# How a run is executed, not what it computes: changing these keeps a state resumable.
NOT_FINGERPRINTED = (
    "device",
    "threads",
    "num_workers",
    "eval_batch_size",
    "progress",
    "live_dir",
    "state_dir",
    "checkpoint_every_steps",
    "resume",
)


@runtime_checkable
class Stateful(Protocol):
    """A part of a stage with a position or random state of its own (batches, an objective)."""

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: dict[str, Any]) -> None: ...


@dataclass
class Progress:
    """Where the training loop stands: what the state file holds besides weights and states."""

    epoch: int = 1  # the epoch in progress, or the next one to run
    step: int = 0  # steps of that epoch done
    steps: list[dict[str, float]] = field(default_factory=list)  # their loss terms
    history: list[dict[str, Any]] = field(default_factory=list)
    best_epoch: int = 0
    best_validation: dict[str, Any] | None = None
    best_state: dict[str, torch.Tensor] | None = None
    waited: int = 0  # epochs without improvement
    stopped_early: bool = False
    finished: bool = False  # the loop is over: a resumed run goes straight to testing

    def next_epoch(self, last: int) -> None:
        self.epoch, self.step, self.steps = self.epoch + 1, 0, []
        self.finished = self.finished or self.epoch > last

    def record(self) -> str:
        """Everything but the best weights, as JSON (floats round-trip exactly)."""
        return json.dumps(
            {k: v for k, v in self.__dict__.items() if k != "best_state"}, allow_nan=True
        )

    @classmethod
    def from_record(cls, record: str, best_state: dict[str, torch.Tensor] | None) -> Progress:
        return cls(**json.loads(record), best_state=best_state)


@dataclass
class Trained:
    """What the loop updates at each step and a state file must hold."""

    net: torch.nn.Module
    optimiser: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler | None
    scaler: torch.amp.GradScaler | None


def digest(value: Any) -> str:
    """A stable sha256 of parameters and inputs: tables, tensors, checkpoints, plain values."""
    hasher = hashlib.sha256()
    _feed(hasher, value)
    return hasher.hexdigest()


def _feed(hasher: Any, value: Any) -> None:
    if isinstance(value, pd.DataFrame):
        hasher.update(repr(list(value.columns)).encode())
        try:
            hasher.update(pd.util.hash_pandas_object(value, index=True).to_numpy().tobytes())
        except TypeError:  # a column of lists or arrays: hashed through its text
            hasher.update(value.to_csv().encode())
    elif isinstance(value, torch.Tensor):
        hasher.update(f"{value.dtype}{tuple(value.shape)}".encode())
        hasher.update(value.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy())
    elif isinstance(value, dict):
        for key in sorted(value, key=str):
            hasher.update(str(key).encode())
            _feed(hasher, value[key])
    elif isinstance(value, (list, tuple)):
        for item in value:
            _feed(hasher, item)
    else:
        hasher.update(repr(value).encode())


def rng_states() -> dict[str, Any]:
    """The process-wide random states: torch (CPU and CUDA), NumPy's legacy one, Python's."""
    kind, keys, position, has_gauss, cached = np.random.get_state()
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "numpy": [kind, torch.from_numpy(keys.astype(np.int64)), position, has_gauss, cached],
        "python": random.getstate(),
    }


def set_rng_states(states: dict[str, Any]) -> None:
    torch.set_rng_state(states["torch"])
    if states["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])
    kind, keys, position, has_gauss, cached = states["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), position, has_gauss, cached))
    random.setstate(states["python"])


def generator_state(generator: np.random.Generator) -> dict[str, Any]:
    """A NumPy generator's state, as plain values (its 128-bit integers pickle as ints)."""
    return generator.bit_generator.state


def restored_generator(state: dict[str, Any]) -> np.random.Generator:
    generator = np.random.default_rng()
    generator.bit_generator.state = state
    return generator


class TrainingState:
    """One run's state file: when to write it, what goes in, and whether to resume from it."""

    def __init__(
        self,
        path: Path,
        name: str,
        fingerprint: dict[str, str],
        resume: bool,
        every_steps: int | None,
        parts: dict[str, Stateful],
    ) -> None:
        self.path, self.name, self.fingerprint = Path(path), name, fingerprint
        self.resume, self.every_steps, self.parts = resume, every_steps, parts

    @classmethod
    def for_run(
        cls,
        state_dir: str,
        name: str,
        params: dict[str, Any],
        inputs: dict[str, Any],
        resume: str,
        every_steps: int | None,
        parts: dict[str, Any],
    ) -> TrainingState:
        """The state of run `name`; its fingerprint: one digest per parameter and per input."""
        fingerprint = {
            **{
                f"parameter {k}": digest(v) for k, v in params.items() if k not in NOT_FINGERPRINTED
            },
            **{f"input {k}": digest(v) for k, v in inputs.items()},
        }
        stateful = {k: p for k, p in parts.items() if isinstance(p, Stateful)}
        path = Path(state_dir) / f"{name}_state.pt"
        return cls(path, name, fingerprint, resume == "auto", every_steps, stateful)

    def due(self, step: int, steps_per_epoch: int | None) -> bool:
        """A mid-epoch save after this step (the epoch's last step saves at the epoch's end)."""
        every = self.every_steps
        return bool(every) and step % every == 0 and step != steps_per_epoch  # type: ignore[operator]

    def save(self, trained: Trained, progress: Progress) -> None:
        if not is_main():  # across processes every rank restores, rank 0 alone writes
            return
        state = {
            "format": FORMAT,
            "fingerprint": self.fingerprint,
            "progress": progress.record(),
            "best_state": progress.best_state,
            "net": trained.net.state_dict(),
            "optimiser": optimiser_state(trained.optimiser),
            "scheduler": trained.scheduler.state_dict() if trained.scheduler else None,
            "scaler": trained.scaler.state_dict() if trained.scaler else None,
            "rng": rng_states(),
            "parts": {name: part.state_dict() for name, part in self.parts.items()},
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        replace_atomically(
            self.path, partial(torch.save, state), fault_point="training_state_write"
        )

    def restore(self, trained: Trained) -> Progress | None:
        """The saved progress with everything else put back, or None to start afresh (logged)."""
        state = self._read()
        if state is None:
            return None
        trained.net.load_state_dict(state["net"])
        load_optimiser_state(trained.optimiser, state["optimiser"])
        if trained.scheduler is not None:
            trained.scheduler.load_state_dict(state["scheduler"])
        if trained.scaler is not None and state["scaler"] is not None:
            trained.scaler.load_state_dict(state["scaler"])
        for name, part in self.parts.items():
            part.load_state_dict(state["parts"][name])
        set_rng_states(state["rng"])
        progress = Progress.from_record(state["progress"], state["best_state"])
        logger.info(
            "%s: resuming from the training state %s at epoch %d, step %d%s",
            *(self.name, self.path, progress.epoch, progress.step),
            " (training was over; testing)" if progress.finished else "",
        )
        return progress

    def _read(self) -> dict[str, Any] | None:
        if not self.path.exists():
            return None
        if not self.resume:
            logger.info(
                "%s: resume is never: starting afresh; the training state %s will be replaced",
                self.name,
                self.path,
            )
            return None
        try:
            state = torch.load(self.path, map_location="cpu", weights_only=True)
        except Exception as error:  # any unreadable file: train afresh, and say so
            logger.warning(
                "%s: the training state %s cannot be read (%s); starting afresh",
                *(self.name, self.path, error),
            )
            return None
        saved = state.get("fingerprint", {}) if state.get("format") == FORMAT else {}
        changed = sorted(set(saved) ^ set(self.fingerprint)) + sorted(
            k for k in set(saved) & set(self.fingerprint) if saved[k] != self.fingerprint[k]
        )
        if changed:
            logger.info(
                "%s: not resuming from the training state %s: it was saved with other "
                "parameters or inputs (%s differ); starting afresh",
                *(self.name, self.path, ", ".join(changed)),
            )
            return None
        return state

    def finish(self) -> None:
        """The run completed: its state is removed, so that the next run starts afresh."""
        if not is_main():
            return
        if self.path.exists():
            self.path.unlink()
            logger.info("%s: completed; training state %s removed", self.name, self.path)
