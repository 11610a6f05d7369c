"""The trained network for prediction: a checked model file, and batched class probabilities.

Two kinds of file: an rmfer checkpoint (`.pt`, run by torch) or its ONNX export (`.onnx`, run
by onnxruntime), chosen by the suffix; both turn aligned crops into probabilities through the
same preprocessing (`crop_transform`: resize, then normalise). A file that cannot be used must
say so before any video is decoded, in words that tell the user what to do: a missing file, a
file that is not an rmfer model, a checkpoint of another format version, or one whose classes
are not the canonical 7 or 8.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from rmfer.data.transforms import eval_transform
from rmfer.errors import InputError
from rmfer.labels import label_names
from rmfer.models.checkpoint import CHECKPOINT_FORMAT, load_network, read_checkpoint
from rmfer.models.network import AttentionNet
from rmfer.training.acl import crop_transform
from rmfer.training.runtime import resolve_device

if TYPE_CHECKING:  # onnxruntime is imported only when an .onnx model is loaded
    from rmfer.deploy.onnx_export import OnnxNet

TRAIN_HINT = (
    "train one with `make run` (its ial and acl stages write data/06_models/ial.pt and acl.pt) "
    "or pass --model PATH"
)
ONNX_SUFFIX = ".onnx"
CPU_PROVIDER, CUDA_PROVIDER = "CPUExecutionProvider", "CUDAExecutionProvider"


class ModelError(InputError):
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

    @property
    def description(self) -> str:
        return f"{self.net.config.backbone}, {len(self.labels)} classes, on {self.device}"

    @torch.no_grad()
    def probabilities(self, crops: np.ndarray) -> np.ndarray:
        """(N, S, S, 3) uint8 RGB aligned crops -> (N, C) softmax of the main classifier."""
        if not len(crops):
            return np.zeros((0, len(self.labels)), np.float32)
        images = self.prepare(_as_batch(crops).to(self.device))
        logits = self.net(images).logits.float()
        return torch.softmax(logits, dim=1).cpu().numpy()


@dataclass
class OnnxModel:
    """An exported model (`rmfer export`) run by onnxruntime, prepared exactly as `Model` is."""

    net: OnnxNet
    prepare: Callable[[torch.Tensor], torch.Tensor]
    path: Path

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(self.net.label_names)

    @property
    def description(self) -> str:
        providers = ", ".join(self.net.session.get_providers())
        return f"ONNX, {len(self.labels)} classes, on {providers}"

    @torch.no_grad()
    def probabilities(self, crops: np.ndarray) -> np.ndarray:
        """(N, S, S, 3) uint8 RGB aligned crops -> (N, C) softmax of the main classifier."""
        if not len(crops):
            return np.zeros((0, len(self.labels)), np.float32)
        images = self.prepare(_as_batch(crops)).numpy()
        logits = torch.from_numpy(self.net.logits(images)).float()
        return torch.softmax(logits, dim=1).numpy()


PredictModel = Model | OnnxModel


def _as_batch(crops: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(crops)).permute(0, 3, 1, 2)


def load_model(path: str | Path, device: str = "auto") -> PredictModel:
    """The model at `path`, checked, ready on `device` (auto: CUDA if any); `.onnx` files run
    with onnxruntime, anything else is read as an rmfer checkpoint."""
    path = Path(path)
    if path.suffix.lower() == ONNX_SUFFIX:
        return load_onnx_model(path, device)
    checkpoint = read_checked_checkpoint(path)
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


def read_checked_checkpoint(path: str | Path) -> dict[str, Any]:
    """The checkpoint at `path`, read without running code from it and checked."""
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
    return checkpoint


def load_onnx_model(path: Path, device: str = "auto") -> OnnxModel:
    """An `rmfer export` file on onnxruntime's CUDA provider (cuda, or auto when present) or CPU."""
    import onnxruntime as ort

    from rmfer.deploy.onnx_export import OnnxNet

    if not path.is_file():
        raise ModelError(f"no model file at {path}: export one with `rmfer export MODEL --onnx`")
    available = ort.get_available_providers()
    if device.startswith("cuda") and CUDA_PROVIDER not in available:
        raise ModelError(
            f"device {device!r} asked for, but onnxruntime has no {CUDA_PROVIDER} "
            f"(it has {', '.join(available)}); install onnxruntime-gpu or use --device cpu"
        )
    if device == "cpu":
        providers = [CPU_PROVIDER]
    else:
        providers = [p for p in (CUDA_PROVIDER, CPU_PROVIDER) if p in available]
    try:
        net = OnnxNet(path, providers=providers)
    except InputError as exc:
        raise ModelError(str(exc)) from exc
    except Exception as exc:  # onnxruntime's own errors for a file that is not a model
        first = (str(exc).strip().splitlines() or [""])[0][:200]
        raise ModelError(
            f"{path} is not an ONNX model onnxruntime can load ({type(exc).__name__}: {first}); "
            "export one with `rmfer export MODEL --onnx OUT.onnx`"
        ) from exc
    classes = len(net.label_names)
    if classes not in (7, 8) or net.label_names != label_names(classes):
        raise ModelError(
            f"{path}: its class names {list(net.label_names)} are not the canonical first 7 or 8 "
            f"({', '.join(label_names(8))}); export it again from an rmfer checkpoint"
        )
    # crop_transform's steps, from the sizes and statistics the export carries
    return OnnxModel(net, eval_transform(net.image_size, net.mean, net.std), path)


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

    model: PredictModel
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
