"""ACL's training batches: a labeled benchmark batch and RM anchors with candidates, per step.

The RM faces are opened once (`open_rm_faces`). An ACL epoch is `steps` steps (by default one
pass over the labeled training split). The labeled stream runs on without end across epochs,
reshuffled each pass; the RM part is drawn fresh at each step from the sampler's index and read
from the shards, so no table is re-read.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

import numpy as np
import pandas as pd
import torch

from rmfer.data.dataset import BenchmarkImages
from rmfer.data.rm_faces import RMFaces
from rmfer.data.rm_sampler import Candidates, RMSampler
from rmfer.data.transforms import eval_transform
from rmfer.errors import InputError
from rmfer.models.network import NetworkConfig
from rmfer.training.acl.params import AclParams
from rmfer.training.acl.rm_stream import Draw, RMStream, stream_loader, take
from rmfer.training.distributed import rank
from rmfer.training.position import LoaderPass
from rmfer.training.sampler import labeled_loader
from rmfer.training.state import generator_state, restored_generator

logger = logging.getLogger(__name__)


def crop_transform(config: NetworkConfig) -> Any:
    """RM crops (a uint8 batch, any size) -> the network's input, as benchmark images get it."""
    return eval_transform(config.image_size, config.mean, config.std)


def make_sampler(params: AclParams) -> RMSampler:
    return RMSampler(
        window_s=params.window_s,
        distance_s=params.distance_s,
        positives=params.positives,
        negatives=params.negatives,
        min_positives=params.min_positives,
        min_negatives=params.min_negatives,
    )


def open_rm_faces(
    face_tracks: pd.DataFrame, params: AclParams
) -> tuple[RMFaces, RMSampler, pd.DataFrame]:
    """The readable crops, the sampler over them, and what each video offers (logged).

    Videos that give no anchor (a single person, tracks shorter than distance_s) are named and
    left to serve nothing; the sampler raises when no video gives any.
    """
    faces = RMFaces(face_tracks, params.faces_dir)
    sampler = make_sampler(params).fit(faces.tracks)
    coverage = sampler.coverage()
    for row in coverage.itertuples(index=False):
        if row.usable_anchors == 0:
            logger.warning("ACL: video %s gives no anchor: %s", row.video_id, row.reason)
    usable = int(coverage["usable_anchors"].sum())
    logger.info(
        "ACL: %d faces in %d videos, %d can be anchors (window %.2f s, distance %.2f s)",
        len(faces),
        len(coverage),
        usable,
        params.window_s,
        params.distance_s,
    )
    if usable == 0:
        sampler.draw(np.random.default_rng(0), 1)  # raises, naming each video's problem
    return faces, sampler, coverage


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
        section: str = "acl",
    ) -> None:
        if not balanced and min(batch_size, len(data)) < 2:
            raise InputError("the labeled training split needs at least two images")
        generator = torch.Generator().manual_seed(seed)
        self.loader, self.sampler, self.batch_size = labeled_loader(
            data,
            data.labels,
            batch_size,
            balanced,
            samples_per_class,
            seed,
            generator,
            num_workers,
            pin,
            section=section,
        )
        self.position = LoaderPass(self.loader, generator)
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
                self._iterator = iter(self.position)
            try:
                return next(self._iterator)
            except StopIteration:
                self._iterator = None

    def state_dict(self) -> dict[str, Any]:
        """The pass in progress (or the next one) and the position in it (resume)."""
        started = self._iterator is not None
        return {"pass": self._pass + (0 if started else 1), **self.position.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._pass, self._iterator = int(state["pass"]) - 1, None
        self.position.load_state_dict(state)


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
    sampler: RMSampler,
    faces: RMFaces,
    rng: np.random.Generator,
    anchors: int,
    shared: bool = False,
) -> dict[str, torch.Tensor]:
    """`anchors` anchors with their candidates, and the crops of every distinct face among them.

    `rm_anchor`, `rm_pos`, `rm_neg` are positions in `rm_crops` (-1 pads); `rm_face` holds the
    face ids (rows of the checked face table) of `rm_crops`, for measurements. `shared`: the
    crops in shared memory (`RMFaces.read_tensor`), for a DataLoader worker.
    """
    ids, anchor, positive, negative = distinct_faces(sampler.draw(rng, anchors))
    return {
        "rm_crops": faces.read_tensor(ids, shared),
        "rm_anchor": torch.from_numpy(anchor),
        "rm_pos": torch.from_numpy(positive),
        "rm_neg": torch.from_numpy(negative),
        "rm_face": torch.from_numpy(ids.astype(np.int64)),
    }


def anchor_batch(
    sampler: RMSampler,
    faces: RMFaces,
    rng: np.random.Generator,
    anchors: int,
    shared: bool = False,
) -> dict[str, torch.Tensor]:
    """The crops of `anchors` anchors only (the SimCLR baseline needs no candidate).

    The draw is the one `rm_batch` makes, so the same seed gives ACL's anchors.
    """
    drawn = sampler.draw(rng, anchors).anchors
    return {
        "rm_crops": faces.read_tensor(drawn, shared),
        "rm_face": torch.from_numpy(drawn.astype(np.int64)),
    }


class AclBatches:
    """`batches(epoch)` for the training loop: `steps` combined batches, reproducible per epoch.

    Without a sampler (the mu = 0 control) a step is the labeled batch alone and no RM face is
    drawn or read; with `anchors_only` it carries only the anchors' crops (`anchor_batch`).
    With `workers` > 0 the RM parts come from DataLoader workers (`rm_stream`), one stream
    across epochs, made again when an epoch other than the next is asked for; `close` ends it.
    """

    def __init__(
        self,
        labeled: LabeledStream,
        sampler: RMSampler | None,
        faces: RMFaces | None,
        anchors_per_batch: int,
        steps: int,
        seed: int,
        anchors_only: bool = False,
        workers: int = 0,
        pin: bool = False,
    ) -> None:
        self.labeled, self.sampler, self.faces = labeled, sampler, faces
        self.anchors_per_batch, self.steps, self.seed = anchors_per_batch, steps, seed
        self.anchors_only, self.workers, self.pin = anchors_only, workers, pin
        self._parts: Iterator[dict[str, torch.Tensor]] | None = None
        self._next_epoch = 0
        self._rng: np.random.Generator | None = None  # the epoch's RM draws (main process)
        self._taken = 0  # the epoch's steps given out
        self._resume: dict[str, Any] | None = None  # a loaded mid-epoch state

    def __len__(self) -> int:
        return self.steps

    def __call__(self, epoch: int) -> _Epoch:
        ranked = [rank()] if rank() else []  # each rank draws its own anchors
        self._rng, self._taken = np.random.default_rng([self.seed, epoch, *ranked]), 0
        if self._resume is not None:  # a resumed run: on from the step the state was saved at
            self._rng, self._taken = restored_generator(self._resume["rng"]), self._resume["taken"]
            self._resume = None
        return _Epoch(self, epoch, self._rng)

    def state_dict(self) -> dict[str, Any]:
        """The epoch's position, its RM draws' state, the labeled stream's and mining's counts."""
        return {
            "taken": self._taken,
            "rng": generator_state(self._rng) if self._rng is not None else None,
            "labeled": self.labeled.state_dict(),
            "mining": asdict(self.sampler.stats) if self.sampler is not None else None,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.labeled.load_state_dict(state["labeled"])
        if self.sampler is not None:
            for key, value in state["mining"].items():
                setattr(self.sampler.stats, key, value)
        if 0 < state["taken"] < self.steps:
            self._resume = state

    @property
    def draw(self) -> Draw:
        return anchor_batch if self.anchors_only else rm_batch

    def rm_part(self, rng: np.random.Generator) -> dict[str, torch.Tensor]:
        if self.sampler is None or self.faces is None:
            return {}
        return self.draw(self.sampler, self.faces, rng, self.anchors_per_batch)

    def streamed(self, epoch: int) -> Iterator[dict[str, torch.Tensor]] | None:
        """The workers' RM parts from `epoch` on; None where the main process draws them."""
        if self.workers == 0 or self.sampler is None or self.faces is None:
            return None
        if self._parts is None or self._next_epoch != epoch:
            self.close()
            stream = RMStream(
                self.draw,
                self.sampler,
                self.faces,
                self.anchors_per_batch,
                self.steps,
                self.seed,
                start_epoch=epoch,
                rank=rank(),
            )
            self._parts = iter(stream_loader(stream, self.workers, self.pin))
        self._next_epoch = -1  # until the epoch is used up: a broken-off one starts afresh
        return self._parts

    def close(self) -> None:
        """Stop the RM workers (they run ahead without end): the DataLoader's iterator shuts
        them down when it is dropped."""
        self._parts = None


class _Epoch:
    def __init__(self, owner: AclBatches, epoch: int, rng: np.random.Generator) -> None:
        self.owner, self.epoch, self.rng = owner, epoch, rng

    def __len__(self) -> int:
        return self.owner.steps - self.owner._taken

    def __iter__(self) -> Iterator[dict[str, torch.Tensor]]:
        owner = self.owner
        parts = owner.streamed(self.epoch)
        for _ in range(owner._taken if parts is not None else 0):
            next(parts)  # type: ignore[call-overload] # resumed: given out before (counted)
        for _ in range(owner.steps - owner._taken):
            owner._taken += 1
            batch = dict(owner.labeled.next())
            if parts is None:
                batch.update(owner.rm_part(self.rng))
            else:
                batch.update(take(next(parts), owner.sampler.stats))  # type: ignore[union-attr]
            yield batch
        if parts is not None:
            owner._next_epoch = self.epoch + 1
