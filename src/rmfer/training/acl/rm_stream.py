"""ACL's RM part of each step, assembled in DataLoader workers (`acl.rm_workers` > 0).

In the main process, drawing anchors with their candidates and reading their crops happens
between steps, while the device waits. Here worker processes do it ahead of the step: an
endless IterableDataset yields one ready RM part (`rm_batch` or `anchor_batch`) per step.

Seeding: step s of epoch e on rank r is drawn with `numpy.random.default_rng([seed, e, s, r])`,
and worker w of W draws the global steps w, w + W, ... which the DataLoader hands out in step
order. So the stream depends on the seed and the rank only: not on the number of workers, and
no two workers or ranks share a draw. It is not the main-process stream (one generator per
epoch, `rm_workers: 0`), which stays as it was.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

import numpy as np
import torch
from torch.utils.data import DataLoader, IterableDataset, get_worker_info

from rmfer.data.rm_faces import RMFaces
from rmfer.data.rm_sampler import MiningStats, RMSampler

Draw = Callable[[RMSampler, RMFaces, np.random.Generator, int, bool], dict[str, torch.Tensor]]
STATS_KEYS = ("drawn", "skipped_no_positive", "skipped_no_negative")  # MiningStats' counters
STAT_PREFIX = "rm_stats_"


def step_generator(seed: int, epoch: int, step: int, rank: int) -> np.random.Generator:
    return np.random.default_rng([seed, epoch, step, rank])


class RMStream(IterableDataset):
    """Endless RM parts from `start_epoch` on, `steps` per epoch (see the module's seeding).

    Each part also carries the sampler's counters for its draw (`rm_stats_*`), since a worker's
    sampler is a copy: `take` adds them to the main process's sampler and removes them.
    """

    def __init__(
        self,
        draw: Draw,
        sampler: RMSampler,
        faces: RMFaces,
        anchors: int,
        steps: int,
        seed: int,
        start_epoch: int,
        rank: int,
    ) -> None:
        self.draw, self.sampler, self.faces = draw, sampler, faces
        self.anchors, self.steps, self.seed = anchors, steps, seed
        self.start_epoch, self.rank = start_epoch, rank

    def __iter__(self) -> Iterator[dict[str, torch.Tensor]]:
        info = get_worker_info()
        worker, workers = (info.id, info.num_workers) if info is not None else (0, 1)
        stats = self.sampler.stats
        for position in itertools.count(worker, workers):
            epoch, step = self.start_epoch + position // self.steps, position % self.steps
            before = [getattr(stats, key) for key in STATS_KEYS]
            rng = step_generator(self.seed, epoch, step, self.rank)
            part = self.draw(self.sampler, self.faces, rng, self.anchors, info is not None)
            for key, old in zip(STATS_KEYS, before, strict=True):
                part[STAT_PREFIX + key] = torch.tensor(getattr(stats, key) - old)
            yield part


def take(part: dict[str, torch.Tensor], stats: MiningStats) -> dict[str, torch.Tensor]:
    """The RM part without its counters, which go to `stats` (the main process's sampler)."""
    for key in STATS_KEYS:
        counted = int(part.pop(STAT_PREFIX + key))
        setattr(stats, key, getattr(stats, key) + counted)
    return part


def stream_loader(stream: RMStream, workers: int, pin: bool) -> DataLoader:
    """`workers` processes, each two parts ahead; parts pass through uncollated."""
    return DataLoader(
        stream,
        batch_size=None,
        num_workers=workers,
        pin_memory=pin,
        prefetch_factor=2,
        generator=torch.Generator(),  # the loader's base seed: never from the global RNG
    )
