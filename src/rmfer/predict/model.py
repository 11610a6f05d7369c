"""The trained network for prediction: a checked checkpoint, and batched class probabilities.

A checkpoint that cannot be used must say so before any video is decoded, in words that tell
the user what to do: a missing file, a file that is not an rmfer checkpoint, a checkpoint of
another format version, or one whose classes are not the canonical 7 or 8.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from rmfer.labels import label_names
from rmfer.models.checkpoint import CHECKPOINT_FORMAT, load_network, read_checkpoint
from rmfer.models.network import AttentionNet
from rmfer.training.acl import crop_transform
from rmfer.training.runtime import resolve_device

TRAIN_HINT = (
    "train one with `make run` (its ial and acl stages write data/06_models/ial.pt and acl.pt) "
    "or pass --model PATH"
)


class ModelError(ValueError):
    """The model file cannot be used; the message names the file and what to do."""


@dataclass
class Model:
    """The network on its device, with what turns aligned crops into its input."""

    net: AttentionNet
    device: torch.device
    prepare: Callable[[torch.Tensor], torch.Tensor]
    path: Path

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(self.net.config.label_names)

    @torch.no_grad()
    def probabilities(self, crops: np.ndarray) -> np.ndarray:
        """(N, S, S, 3) uint8 RGB aligned crops -> (N, C) softmax of the main classifier."""
        if not len(crops):
            return np.zeros((0, len(self.labels)), np.float32)
        batch = torch.from_numpy(np.ascontiguousarray(crops)).permute(0, 3, 1, 2)
        images = self.prepare(batch.to(self.device))
        logits = self.net(images).logits.float()
        return torch.softmax(logits, dim=1).cpu().numpy()


def load_model(path: str | Path, device: str = "auto") -> Model:
    """The checkpoint at `path`, checked, rebuilt in eval mode on `device` (auto: CUDA if any)."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"no model file at {path}: {TRAIN_HINT}")
    try:
        checkpoint = read_checkpoint(path)
    except Exception as exc:  # torch.load fails on junk in many ways (IndexError, KeyError ...)
        first = (str(exc).strip().splitlines() or [""])[0][:200]
        raise ModelError(
            f"{path} is not an rmfer checkpoint (torch.load with weights_only failed: "
            f"{type(exc).__name__}: {first}); {TRAIN_HINT}"
        ) from exc
    check_checkpoint(checkpoint, path)
    try:
        chosen = resolve_device(device)
    except RuntimeError as exc:
        raise ModelError(str(exc)) from exc
    try:
        net = load_network(checkpoint, chosen)
    except (RuntimeError, ValueError, KeyError, TypeError) as exc:
        raise ModelError(
            f"{path}: the weights do not fit the network its config describes ({exc}); the file "
            f"was written by another version of rmfer or edited: {TRAIN_HINT}"
        ) from exc
    return Model(net, chosen, crop_transform(net.config), path)


def check_checkpoint(checkpoint: Any, path: Path) -> None:
    """Format version, config and class count, before any weights are touched."""
    if not isinstance(checkpoint, dict) or "format" not in checkpoint:
        raise ModelError(f"{path} is not an rmfer checkpoint (no `format` entry); {TRAIN_HINT}")
    found = checkpoint["format"]
    if found != CHECKPOINT_FORMAT:
        raise ModelError(
            f"{path} is a checkpoint of format {found!r}, but this rmfer reads "
            f"{CHECKPOINT_FORMAT!r}: use the rmfer version that wrote it, or {TRAIN_HINT}"
        )
    config = checkpoint.get("config")
    state = checkpoint.get("state_dict")
    if not isinstance(config, dict) or not isinstance(state, dict):
        raise ModelError(f"{path} lacks its network config or weights; {TRAIN_HINT}")
    classes = config.get("num_classes")
    names = tuple(config.get("label_names") or ())
    if classes not in (7, 8):
        raise ModelError(
            f"{path} predicts {classes} classes; rmfer predict reads models of 7 or 8 "
            f"expression classes in the canonical order ({', '.join(label_names(8))})"
        )
    if names != label_names(classes):
        raise ModelError(
            f"{path}: its class names {list(names)} are not the canonical first {classes} "
            f"({list(label_names(classes))}): {TRAIN_HINT}"
        )
    weight = state.get("classifier.weight")
    if weight is not None and int(weight.shape[0]) != classes:
        raise ModelError(
            f"{path}: its classifier has {int(weight.shape[0])} outputs but its config says "
            f"{classes} classes; the file is damaged or edited: {TRAIN_HINT}"
        )


@dataclass
class BatchClassifier:
    """Crops queue up and go through the network `batch_size` at a time.

    Several videos' or images' crops share the batches (a folder of photos with one face each
    still fills a GPU batch); each caller holds tickets and takes its probabilities back.
    """

    model: Model
    batch_size: int = 64
    _queue: list[np.ndarray] = field(default_factory=list)
    _queued: list[int] = field(default_factory=list)
    _results: dict[int, np.ndarray] = field(default_factory=dict)
    _next: int = 0

    def submit(self, crop: np.ndarray) -> int:
        ticket = self._next
        self._next += 1
        self._queue.append(crop)
        self._queued.append(ticket)
        if len(self._queue) >= self.batch_size:
            self.flush()
        return ticket

    def flush(self) -> None:
        if not self._queue:
            return
        probs = self.model.probabilities(np.stack(self._queue))
        self._results.update(zip(self._queued, probs, strict=True))
        self._queue, self._queued = [], []

    def take(self, tickets: list[int], keep: np.ndarray) -> np.ndarray:
        """The probabilities of `tickets[keep]`, in that order; every ticket is released."""
        if any(t not in self._results for t in tickets):
            self.flush()
        rows = [self._results.pop(t) for t in tickets]
        width = len(self.model.labels)
        table = np.stack(rows) if rows else np.zeros((0, width), np.float32)
        return table[np.asarray(keep, dtype=np.int64)] if len(keep) else table[:0]

    def release(self, tickets: list[int]) -> None:
        """Forget `tickets` (an input that failed half way), queued or done."""
        gone = set(tickets)
        for t in gone:
            self._results.pop(t, None)
        kept = [(c, t) for c, t in zip(self._queue, self._queued, strict=True) if t not in gone]
        self._queue = [c for c, _ in kept]
        self._queued = [t for _, t in kept]


class ProbabilitySink:
    """facetrack's crop sink for one input: each kept crop goes to the shared classifier."""

    def __init__(self, classifier: BatchClassifier) -> None:
        self.classifier = classifier
        self.tickets: list[int] = []
        self.keep: np.ndarray | None = None

    def append(self, crop: np.ndarray) -> int:
        self.tickets.append(self.classifier.submit(crop))
        return len(self.tickets) - 1

    def finish(self, keep: np.ndarray) -> int:
        self.keep = np.asarray(keep, dtype=np.int64)
        return len(self.keep)

    def abort(self) -> None:
        self.classifier.release(self.tickets)

    def probabilities(self) -> np.ndarray:
        """(kept faces, C), in the order of the face table; call after `finish`."""
        if self.keep is None:
            raise RuntimeError("ProbabilitySink.probabilities before finish")
        return self.classifier.take(self.tickets, self.keep)
