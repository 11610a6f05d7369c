"""Class-balanced batches: inter-sample attention needs same-class samples in every batch."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler


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
) -> tuple[DataLoader, ClassBalancedBatchSampler | None, int]:
    """The labeled batches of IAL and of ACL's L_IAL term: (loader, balanced sampler or None,
    batch size). Balanced: `samples_per_class` of each class (default batch_size // classes,
    at least 2) in about one pass over the data; else shuffled, whole batches only."""
    workers = {"num_workers": num_workers, "persistent_workers": num_workers > 0}
    if balanced:
        classes = len(np.unique(labels))
        per_class = samples_per_class or max(2, batch_size // classes)
        batches = max(1, len(data) // (per_class * classes))
        sampler = ClassBalancedBatchSampler(labels, per_class, batches, seed)
        loader = DataLoader(
            data, batch_sampler=sampler, generator=generator, pin_memory=pin, **workers
        )
        return loader, sampler, sampler.batch_size
    size = min(batch_size, len(data))
    loader = DataLoader(
        data,
        batch_size=size,
        shuffle=True,
        drop_last=True,  # a batch of one has no other sample to attend to
        generator=generator,
        pin_memory=pin,
        **workers,
    )
    return loader, None, size
