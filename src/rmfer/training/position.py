"""Where a pass over the labeled batches stands, so that a resumed run continues inside it.

A pass's order is fixed by the loader's generator at the pass's start (the shuffled sampler's
permutation, the workers' base seed) and, for the class-balanced sampler, by (seed, epoch). So
a position is that generator state and the number of batches taken: a resumed pass puts the
generator back, lets the batch sampler skip the batches taken (indices only, no image is read)
and reads on from there. With `num_workers: 0` the augmentation then draws from the restored
global random state, as the uninterrupted run did; with workers, the order resumes exactly but
the workers' random draws do not (docs/stages/ial.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import torch
from torch.utils.data import DataLoader, Sampler


class SkippingBatchSampler(Sampler[list[int]]):
    """A batch sampler whose next pass leaves out its first `skip` batches."""

    def __init__(self, batches: Sampler[list[int]]) -> None:
        self.batches = batches
        self.skip = 0

    def __len__(self) -> int:
        return len(self.batches)  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[list[int]]:
        skip, self.skip = self.skip, 0
        for k, batch in enumerate(self.batches):
            if k >= skip:
                yield batch


class LoaderPass:
    """Passes over `loader` (whose batch sampler is a `SkippingBatchSampler`), resumable."""

    def __init__(self, loader: DataLoader, generator: torch.Generator) -> None:
        if not isinstance(loader.batch_sampler, SkippingBatchSampler):
            raise TypeError("a resumable pass needs a SkippingBatchSampler")
        self.loader, self.generator, self.sampler = loader, generator, loader.batch_sampler
        self.start: torch.Tensor | None = None  # the generator at the pass's start, while in one
        self.taken = 0
        self._resume_at = 0

    def __iter__(self) -> Iterator[Any]:
        """One pass, from the position a loaded state names (else from its start)."""
        self.start, self.taken = self.generator.get_state(), self._resume_at
        self.sampler.skip, self._resume_at = self._resume_at, 0
        for batch in self.loader:
            self.taken += 1
            yield batch
        self.start = None

    def __len__(self) -> int:
        return len(self.loader) - self._resume_at

    def state_dict(self) -> dict[str, Any]:
        if self.start is None:  # between passes: the next one starts from the generator as is
            return {"generator": self.generator.get_state(), "taken": 0}
        return {"generator": self.start, "taken": self.taken}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.generator.set_state(state["generator"])
        self._resume_at = int(state["taken"])
