"""RMFaces: crops by face id from per-video shards; broken shards are named, left out, counted."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from rmfer.data.rm_faces import RMFaces, RMFacesError
from rmfer.faces.shards import ShardWriter


def write_shard(folder, video: str, count: int, side: int = 8) -> None:
    """Crop k of `video` is filled with a value that names both: 50 * video number + k."""
    writer = ShardWriter(folder / f"{video}.npy", (side, side, 3))
    for k in range(count):
        writer.append(np.full((side, side, 3), _value(video, k), np.uint8))
    writer.finish(np.arange(count))


def _value(video: str, offset: int) -> int:
    return 50 * int(video[1:]) + offset


def tracks_for(videos: dict[str, int]) -> pd.DataFrame:
    rows = [
        {"video_id": v, "person_id": k % 2, "time_s": k / 5, "shard": f"{v}.npy", "offset": k}
        for v, count in videos.items()
        for k in range(count)
    ]
    return pd.DataFrame(rows)


def test_reads_crops_by_face_id_across_shards_in_the_order_asked(tmp_path):
    write_shard(tmp_path, "v0", 5)
    write_shard(tmp_path, "v1", 4)
    faces = RMFaces(tracks_for({"v1": 4, "v0": 5}), tmp_path)
    assert len(faces) == 9 and faces.crop_shape == (8, 8, 3)
    ids = [8, 0, 5, 3, 3]  # rows: v1 has ids 0..3, v0 has ids 4..8
    got = faces.read(ids)
    assert got.shape == (5, 8, 8, 3) and got.dtype == np.uint8
    expected = [_value("v0", 4), _value("v1", 0), _value("v0", 1), _value("v1", 3), _value("v1", 3)]
    assert got[:, 0, 0, 0].tolist() == expected
    tensor = faces.read_tensor(ids)
    assert tensor.shape == (5, 3, 8, 8) and tensor[:, 0, 0, 0].tolist() == expected
    assert faces[4].shape == (3, 8, 8)
    assert faces.problems.rows_dropped == 0


def test_missing_short_and_odd_shards_are_left_out_and_named(tmp_path, caplog):
    write_shard(tmp_path, "v0", 5)
    write_shard(tmp_path, "v2", 2)  # the table says 4 faces: stale shard
    write_shard(tmp_path, "v3", 3, side=16)  # crops of another size than the others
    write_shard(tmp_path, "v4", 3)
    tracks = tracks_for({"v0": 5, "v1": 3, "v2": 4, "v3": 3, "v4": 3})
    with caplog.at_level(logging.WARNING):
        faces = RMFaces(tracks, tmp_path)
    assert set(faces.tracks["video_id"]) == {"v0", "v4"} and len(faces) == 8
    reasons = faces.problems.reasons
    assert set(reasons) == {"v1.npy", "v2.npy", "v3.npy"}
    assert "missing" in reasons["v1.npy"]
    assert "offset 3" in reasons["v2.npy"] and "2 crops" in reasons["v2.npy"]
    assert "(16, 16, 3)" in reasons["v3.npy"]
    assert faces.problems.rows_dropped == 10
    assert "v1.npy" in caplog.text and "Re-run facetrack" in caplog.text
    # ids follow the checked table: the first v4 face is id 5
    assert faces.read([5])[0, 0, 0, 0] == _value("v4", 0)


def test_a_shard_cut_short_by_less_than_its_header_is_named_truncated(tmp_path):
    write_shard(tmp_path, "v0", 5)
    write_shard(tmp_path, "v1", 4)
    path = tmp_path / "v1.npy"
    path.write_bytes(path.read_bytes()[:-100])  # the header still says 4 crops
    faces = RMFaces(tracks_for({"v0": 5, "v1": 4}), tmp_path)
    assert faces.problems.reasons == {"v1.npy": "the shard file is truncated"}
    assert len(faces) == 5


def test_nothing_readable_is_a_clear_error(tmp_path):
    with pytest.raises(RMFacesError, match=r"no readable face crop.*pipeline=facetrack"):
        RMFaces(tracks_for({"v0": 3}), tmp_path)
    with pytest.raises(RMFacesError, match="lack columns"):
        RMFaces(tracks_for({"v0": 3}).drop(columns="shard"), tmp_path)
    with pytest.raises(RMFacesError, match="empty"):
        RMFaces(
            tracks_for({}).reindex(columns=["video_id", "person_id", "time_s", "shard", "offset"]),
            tmp_path,
        )
