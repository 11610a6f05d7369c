"""RM parts assembled in DataLoader workers: each step its own seed, whatever the workers."""

from __future__ import annotations

from itertools import islice

import numpy as np
import pytest
import torch

from rmfer.data.dataset import BenchmarkImages
from rmfer.data.rm_sampler import MiningStats
from rmfer.training.acl import train_acl
from rmfer.training.acl.batches import (
    AclBatches,
    LabeledStream,
    make_sampler,
    open_rm_faces,
    rm_batch,
)
from rmfer.training.acl.rm_stream import STAT_PREFIX, RMStream, stream_loader, take
from tests.training.acl.test_train import acl_params, ial_checkpoint, write_index, write_videos

SEED, STEPS, ANCHORS = 7, 3, 4


@pytest.fixture(scope="module")
def rm(tmp_path_factory):
    folder = tmp_path_factory.mktemp("rm_stream")
    tracks = write_videos(folder / "faces", {"a": (3, 8.0), "b": (2, 8.0)})
    index = write_index(folder / "images", {"train": 28, "test": 14})
    params = acl_params(folder / "faces")
    faces, sampler, _ = open_rm_faces(tracks, params)
    return params, faces, sampler, tracks, index


def stream(rm, rank: int = 0, start_epoch: int = 1) -> RMStream:
    _, faces, sampler, _, _ = rm
    return RMStream(rm_batch, sampler, faces, ANCHORS, STEPS, SEED, start_epoch, rank)


def same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[key], b[key]) for key in a)


def anchors(part: dict[str, torch.Tensor]) -> tuple[int, ...]:
    return tuple(part["rm_face"][part["rm_anchor"]].tolist())


def test_two_workers_give_each_step_its_own_draw_in_step_order(rm):
    params, faces, _, _, _ = rm
    in_process = list(islice(iter(stream(rm)), 8))
    two = list(islice(iter(stream_loader(stream(rm), 2, False)), 8))
    again = list(islice(iter(stream_loader(stream(rm), 2, False)), 8))
    assert all(same(*parts) for parts in zip(in_process, two, strict=True))
    assert all(same(*parts) for parts in zip(two, again, strict=True))

    # Independently: a fresh sampler draws step s of epoch e with the seed (SEED, e, s, rank 0).
    fresh = make_sampler(params).fit(faces.tracks)
    for position, part in enumerate(two):
        epoch, step = 1 + position // STEPS, position % STEPS
        expected = rm_batch(fresh, faces, np.random.default_rng([SEED, epoch, step, 0]), ANCHORS)
        assert same({k: v for k, v in part.items() if not k.startswith(STAT_PREFIX)}, expected)

    # No seeding mistake: the eight steps drew eight different anchor sets.
    assert len({anchors(part) for part in two}) == 8
    assert sorted(a for part in two for a in anchors(part)) == sorted(
        a for part in again for a in anchors(part)
    )


def test_ranks_draw_differently_and_counters_reach_the_main_process(rm):
    params, faces, _, _, _ = rm
    rank0 = list(islice(iter(stream_loader(stream(rm, rank=0), 2, False)), 6))
    rank1 = list(islice(iter(stream_loader(stream(rm, rank=1), 2, False)), 6))
    assert all(anchors(a) != anchors(b) for a, b in zip(rank0, rank1, strict=True))

    counted = MiningStats()
    for part in rank1:
        take(part, counted)
        assert not any(key.startswith(STAT_PREFIX) for key in part)
    fresh = make_sampler(params).fit(faces.tracks)
    for position in range(6):
        epoch, step = 1 + position // STEPS, position % STEPS
        fresh.draw(np.random.default_rng([SEED, epoch, step, 1]), ANCHORS)
    assert counted == fresh.stats and counted.used == 6 * ANCHORS


def test_acl_batches_chain_epochs_and_start_again_when_asked(rm):
    _, faces, sampler, _, index = rm
    train = index[index["split"] == "train"]
    labeled = LabeledStream(BenchmarkImages(train, lambda x: x, 7), 14, True, None, SEED)
    batches = AclBatches(labeled, sampler, faces, ANCHORS, STEPS, SEED, workers=2)
    first, second = list(batches(1)), list(batches(2))
    expected = list(islice(iter(stream(rm)), 2 * STEPS))
    for got, want in zip(first + second, expected, strict=True):
        assert torch.equal(got["rm_crops"], want["rm_crops"])
        assert torch.equal(got["rm_anchor"], want["rm_anchor"]) and "image" in got
    repeated = list(batches(1))  # not the next epoch: a stream from epoch 1 again
    assert all(
        torch.equal(a["rm_face"], b["rm_face"]) for a, b in zip(repeated, first, strict=True)
    )
    batches.close()


def test_acl_with_rm_workers_and_the_crop_cache_starts_from_the_same_test_score(rm, tmp_path):
    """One step each: the RM workers' anchors all reach mining's counts, and the cached
    benchmark faces give the IAL net the very test score the decoded ones give."""
    params, _, _, tracks, index = rm
    short = dict(epochs=1, steps_per_epoch=1)
    plain = train_acl(tracks, index, ial_checkpoint(), acl_params(params.faces_dir, **short))
    loaded = acl_params(params.faces_dir, rm_workers=2, crop_cache=str(tmp_path), **short)
    fast = train_acl(tracks, index, ial_checkpoint(), loaded)
    assert (
        fast.metrics["mining"]["anchors_used"] == ANCHORS == plain.metrics["mining"]["anchors_used"]
    )
    assert fast.metrics["ial_test"] == plain.metrics["ial_test"]
    assert len(list(tmp_path.glob("crops_24px_*.npy"))) == 1
