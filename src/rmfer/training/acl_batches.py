"""ACL's training batches: a labeled benchmark batch and RM anchors with candidates, per step.

An ACL epoch is `steps` steps (by default one pass over the labeled training split). The labeled
stream runs on without end across epochs, reshuffled each pass; the RM part is drawn fresh at each
step from the sampler's index and read from the shards, so no table is re-read.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import torch

from rmfer.data.dataset import BenchmarkImages
from rmfer.data.rm_faces import RMFaces
from rmfer.data.rm_sampler import Candidates, RMSampler
from rmfer.training.sampler import labeled_loader


class LabeledStream:
    """Endless labeled batches: class-balanced (IAL's sampler) or shuffled, pass after pass."""

    def __init__(
        self,
        data: BenchmarkImages,
        batch_size: int,
        balanced: bool,
        samples_per_class: int | None,
        seed: int,
        num_workers: int = 0,
        pin: bool = False,
    ) -> None:
        if not balanced and min(batch_size, len(data)) < 2:
            raise ValueError("the labeled training split needs at least two images")
        self.loader, self.sampler, self.batch_size = labeled_loader(
            data,
            data.labels,
            batch_size,
            balanced,
            samples_per_class,
            seed,
            torch.Generator().manual_seed(seed),
            num_workers,
            pin,
        )
        self._pass = 0
        self._iterator: Iterator[Any] | None = None

    def __len__(self) -> int:
        """Batches in one pass over the labeled training split."""
        return len(self.loader)

    def next(self) -> dict[str, torch.Tensor]:
        while True:
            if self._iterator is None:
                self._pass += 1
                if self.sampler is not None:
                    self.sampler.set_epoch(self._pass)
                self._iterator = iter(self.loader)
            try:
                return next(self._iterator)
            except StopIteration:
                self._iterator = None


def distinct_faces(drawn: Candidates) -> tuple[np.ndarray, ...]:
    """The distinct face ids of a draw, and anchors, positives, negatives as positions in them.

    A face that is a candidate of several anchors (or an anchor too) is read and scored once.
    """
    ids = np.unique(
        np.concatenate(
            [
                drawn.anchors,
                drawn.positives[drawn.positive_mask],
                drawn.negatives[drawn.negative_mask],
            ]
        )
    )

    def position(face_ids: np.ndarray) -> np.ndarray:
        found = np.searchsorted(ids, np.maximum(face_ids, 0))
        return np.where(face_ids >= 0, found, -1).astype(np.int64)

    return ids, position(drawn.anchors), position(drawn.positives), position(drawn.negatives)


def rm_batch(
    sampler: RMSampler, faces: RMFaces, rng: np.random.Generator, anchors: int
) -> dict[str, torch.Tensor]:
    """`anchors` anchors with their candidates, and the crops of every distinct face among them.

    `rm_anchor`, `rm_pos`, `rm_neg` are positions in `rm_crops` (-1 pads); `rm_face` holds the
    face ids (rows of the checked face table) of `rm_crops`, for measurements.
    """
    ids, anchor, positive, negative = distinct_faces(sampler.draw(rng, anchors))
    return {
        "rm_crops": faces.read_tensor(ids),
        "rm_anchor": torch.from_numpy(anchor),
        "rm_pos": torch.from_numpy(positive),
        "rm_neg": torch.from_numpy(negative),
        "rm_face": torch.from_numpy(ids.astype(np.int64)),
    }


class AclBatches:
    """`batches(epoch)` for the training loop: `steps` combined batches, reproducible per epoch."""

    def __init__(
        self,
        labeled: LabeledStream,
        sampler: RMSampler,
        faces: RMFaces,
        anchors_per_batch: int,
        steps: int,
        seed: int,
    ) -> None:
        self.labeled, self.sampler, self.faces = labeled, sampler, faces
        self.anchors_per_batch, self.steps, self.seed = anchors_per_batch, steps, seed

    def __len__(self) -> int:
        return self.steps

    def __call__(self, epoch: int) -> _Epoch:
        return _Epoch(self, np.random.default_rng([self.seed, epoch]))


class _Epoch:
    def __init__(self, owner: AclBatches, rng: np.random.Generator) -> None:
        self.owner, self.rng = owner, rng

    def __len__(self) -> int:
        return self.owner.steps

    def __iter__(self) -> Iterator[dict[str, torch.Tensor]]:
        owner = self.owner
        for _ in range(owner.steps):
            batch = dict(owner.labeled.next())
            batch.update(rm_batch(owner.sampler, owner.faces, self.rng, owner.anchors_per_batch))
            yield batch
