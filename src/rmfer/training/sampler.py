"""Class-balanced batches: inter-sample attention needs same-class samples in every batch."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import numpy as np
import torch
from torch.utils.data import BatchSampler, DataLoader, Dataset, RandomSampler, Sampler

from rmfer.errors import ParameterError
from rmfer.labels import CANONICAL_LABELS
from rmfer.training.distributed import rank, require_whole_classes, world_size
from rmfer.training.position import SkippingBatchSampler

logger = logging.getLogger(__name__)


class ClassBalancedBatchSampler(Sampler[list[int]]):
    """Each batch holds `samples_per_class` samples of every class present in `labels`.

    Each class is walked through in a fresh random order, reshuffled when used up, so rare
    classes are repeated and frequent ones subsampled. The order depends on (seed, epoch) only.
    """

    def __init__(self, labels: np.ndarray, samples_per_class: int, num_batches: int, seed: int):
        if samples_per_class < 1 or num_batches < 1:
            raise ValueError("samples_per_class and num_batches must be >= 1")
        labels = np.asarray(labels)
        self.classes = np.unique(labels)
        self._members = [np.flatnonzero(labels == c) for c in self.classes]
        self.samples_per_class = samples_per_class
        self.num_batches = num_batches
        self.seed = seed
        self.epoch = 0

    @property
    def batch_size(self) -> int:
        return self.samples_per_class * len(self.classes)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.num_batches

    def __iter__(self) -> Iterator[list[int]]:
        rng = np.random.default_rng([self.seed, self.epoch])
        queues = [rng.permutation(m) for m in self._members]
        cursors = [0] * len(queues)
        for _ in range(self.num_batches):
            batch: list[int] = []
            for k, members in enumerate(self._members):
                for _ in range(self.samples_per_class):
                    if cursors[k] == len(queues[k]):
                        queues[k], cursors[k] = rng.permutation(members), 0
                    batch.append(int(queues[k][cursors[k]]))
                    cursors[k] += 1
            yield [batch[i] for i in rng.permutation(len(batch))]


class RankShare(Sampler[list[int]]):
    """This rank's part of each global batch of `batches` (the same on every rank).

    With `labels` (class-balanced batches) the rank keeps whole classes: the batch's classes
    are dealt to the ranks in turn, starting one rank further at each batch, so over an epoch
    each rank holds as many classes, and all ranks together hold the whole balanced batch.
    Without, it keeps a contiguous slice of about 1/world of the batch.
    """

    def __init__(
        self, batches: Sampler[list[int]], labels: np.ndarray | None, rank: int, world: int
    ) -> None:
        self.batches, self.rank, self.world = batches, rank, world
        self.labels = None if labels is None else np.asarray(labels)

    def __len__(self) -> int:
        return len(self.batches)  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[list[int]]:
        for step, batch in enumerate(self.batches):
            yield self.part(batch, step)

    def part(self, batch: list[int], step: int) -> list[int]:
        if self.labels is None:
            bounds = np.linspace(0, len(batch), self.world + 1).round().astype(int)
            return batch[bounds[self.rank] : bounds[self.rank + 1]]
        classes = np.unique(self.labels[batch])
        mine = {c for k, c in enumerate(classes) if (k + step) % self.world == self.rank}
        return [i for i in batch if self.labels[i] in mine]


def require_enough_per_class(
    labels: np.ndarray, per_class: int, samples_per_class: int | None, section: str
) -> None:
    """Each class must have `per_class` distinct images, or one repeats within a batch.

    An error when `samples_per_class` is set; a warning when it is null and the default
    (batch_size // classes) asks for more than a small split holds.
    """
    classes, counts = np.unique(labels, return_counts=True)
    short = [(int(c), int(n)) for c, n in zip(classes, counts, strict=True) if n < per_class]
    if not short:
        return
    label, count = short[0]
    name = CANONICAL_LABELS[label] if 0 <= label < len(CANONICAL_LABELS) else str(label)
    key = f"{section}.samples_per_class"
    if samples_per_class is None:
        logger.warning(
            "%s = null gives %d images per class and batch, but class %d (%s) has %d training "
            "images: some repeat within a batch",
            *(key, per_class, label, name, count),
        )
        return
    raise ParameterError(
        f"class {label} ({name}) has {count} training images, but {key} = {samples_per_class} "
        f"asks for {per_class} per batch, so an image would repeat within a batch; lower {key} "
        f"to at most {min(n for _, n in short)}, or set {section}.balanced_sampler: false"
    )


def labeled_loader(
    data: Dataset,
    labels: np.ndarray,
    batch_size: int,
    balanced: bool,
    samples_per_class: int | None,
    seed: int,
    generator: torch.Generator,
    num_workers: int = 0,
    pin: bool = False,
    *,
    section: str,
) -> tuple[DataLoader, ClassBalancedBatchSampler | None, int]:
    """The labeled batches of IAL and of ACL's L_IAL term: (loader, balanced sampler or None,
    batch size). Balanced: `samples_per_class` of each class (default batch_size // classes,
    at least 2) in about one pass over the data, each class at least that large (`section`
    names the YAML block in the message); else shuffled, whole batches only. The loader's batch
    sampler is a `SkippingBatchSampler`, so that a resumed run continues inside a pass. Across
    processes each rank loads its part of every global batch (`RankShare`)."""
    workers = {"num_workers": num_workers, "persistent_workers": num_workers > 0}
    if balanced:
        classes = len(np.unique(labels))
        per_class = samples_per_class or max(2, batch_size // classes)
        require_enough_per_class(labels, per_class, samples_per_class, section)
        require_whole_classes(classes, section)
        batches = max(1, len(data) // (per_class * classes))
        sampler = ClassBalancedBatchSampler(labels, per_class, batches, seed)
        loader = DataLoader(
            data,
            batch_sampler=SkippingBatchSampler(_rank_share(sampler, labels)),
            generator=generator,
            pin_memory=pin,
            **workers,
        )
        return loader, sampler, sampler.batch_size
    size = min(batch_size, len(data))
    # a batch of one has no other sample to attend to: whole batches only
    shuffled = BatchSampler(RandomSampler(data, generator=generator), size, drop_last=True)
    loader = DataLoader(
        data,
        batch_sampler=SkippingBatchSampler(_rank_share(shuffled, None)),
        generator=generator,
        pin_memory=pin,
        **workers,
    )
    return loader, None, size


def _rank_share(batches: Sampler[list[int]], labels: np.ndarray | None) -> Sampler[list[int]]:
    """Global batches alone; across processes, this rank's part of each (`RankShare`)."""
    if world_size() == 1:
        return batches
    return RankShare(batches, labels, rank(), world_size())
