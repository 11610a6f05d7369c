"""Shards: one memory-mappable .npy per video, written atomically, rows in face_tracks order."""

from __future__ import annotations

import numpy as np
import pytest

from rmfer.faces.shards import FaceShards, ShardWriter, npy_header, read_header


def crops(n: int) -> list[np.ndarray]:
    return [np.full((8, 8, 3), 10 * k, np.uint8) for k in range(n)]


def test_kept_crops_in_order_readable_by_memory_map(tmp_path):
    writer = ShardWriter(tmp_path / "v.npy", (8, 8, 3))
    assert [writer.append(c) for c in crops(5)] == [0, 1, 2, 3, 4]
    assert not (tmp_path / "v.npy").exists()  # nothing final until finish
    assert writer.finish([0, 3, 4]) == 3
    array = np.load(tmp_path / "v.npy", mmap_mode="r")
    assert isinstance(array, np.memmap)
    assert array.shape == (3, 8, 8, 3) == read_header(tmp_path / "v.npy")
    assert [int(a[0, 0, 0]) for a in array] == [0, 30, 40]
    shards = FaceShards(tmp_path)
    assert int(shards.crop("v.npy", 1)[0, 0, 0]) == 30
    assert [int(c[0, 0, 0]) for c in shards.crops("v.npy", [2, 0])] == [40, 0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.npy"]


def test_empty_shard_and_abort(tmp_path):
    writer = ShardWriter(tmp_path / "empty.npy", (8, 8, 3))
    writer.finish([])
    assert np.load(tmp_path / "empty.npy").shape == (0, 8, 8, 3)
    aborted = ShardWriter(tmp_path / "gone.npy", (8, 8, 3))
    aborted.append(crops(1)[0])
    aborted.abort()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.npy"]


def test_wrong_crop_and_header_limits(tmp_path):
    writer = ShardWriter(tmp_path / "v.npy", (8, 8, 3))
    with pytest.raises(ValueError, match="expected"):
        writer.append(np.zeros((9, 8, 3), np.uint8))
    writer.abort()
    assert len(npy_header((10**12, 112, 112, 3))) == 128


@pytest.mark.parametrize("keep", [[0, 1, 2, 3, 4], [1, 3, 4], [4], [0, 2]])
def test_finish_moves_kept_crops_down_in_place(tmp_path, keep):
    writer = ShardWriter(tmp_path / "v.npy", (8, 8, 3))
    for crop in crops(5):
        writer.append(crop)
    writer.finish(keep)
    assert np.load(tmp_path / "v.npy")[:, 0, 0, 0].tolist() == [10 * k for k in keep]
    assert (tmp_path / "v.npy").stat().st_size == 128 + len(keep) * 8 * 8 * 3


@pytest.mark.parametrize("keep", [[3, 0, 4], [1, 1], [5], [-1]])
def test_finish_rejects_unordered_or_unknown_indices(tmp_path, keep):
    writer = ShardWriter(tmp_path / "v.npy", (8, 8, 3))
    for crop in crops(5):
        writer.append(crop)
    with pytest.raises(ValueError, match="increasing crop indices below 5"):
        writer.finish(keep)
    assert list(tmp_path.iterdir()) == []
