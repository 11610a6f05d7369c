"""IAL's training batches: class-balanced (the default) or shuffled, one pass per epoch."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

from rmfer.data.dataset import BenchmarkImages
from rmfer.training.ial.params import IalParams
from rmfer.training.position import LoaderPass
from rmfer.training.sampler import labeled_loader


class TrainBatches:
    """`batches(epoch)` for the training loop; the balanced sampler reshuffles per epoch."""

    def __init__(
        self, data: BenchmarkImages, params: IalParams, generator: torch.Generator, pin: bool
    ) -> None:
        self.loader, self.sampler, self.batch_size = labeled_loader(
            data,
            data.labels,
            params.batch_size,
            params.balanced_sampler,
            params.samples_per_class,
            params.seed,
            generator,
            params.num_workers,
            pin,
            section=params.SECTION,
        )
        self.position = LoaderPass(self.loader, generator)

    def __len__(self) -> int:
        return len(self.loader)

    def __call__(self, epoch: int) -> Iterable[Any]:
        if self.sampler is not None:
            self.sampler.set_epoch(epoch)
        return self.position

    def state_dict(self) -> dict[str, Any]:
        """The position in the epoch's pass (`rmfer.training.state`: resume)."""
        return self.position.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.position.load_state_dict(state)
