"""A full disk: collect and facetrack stop with a message that names the path and says to free
space; the next run, with space, completes with the output of a run that never met it.

The disk is simulated in-process: the stage's own writes (yt-dlp's download stream, a shard's
file, a table's or record's temporary) raise ENOSPC once a byte budget is spent.
"""

from __future__ import annotations

import dataclasses
import errno
import json
import os
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yt_dlp.downloader.common

from rmfer.collect import collect_videos
from rmfer.faces import shards
from rmfer.faces.params import FacetrackParams
from rmfer.faces.stage import DONE, SKIPPED, run_facetrack
from rmfer.files import DiskFullError
from rmfer.synth.params import SynthParams
from rmfer.synth.world import plan_world, render_video
from tests.collect.conftest import Loopback, fast_collect_params
from tests.conf import base_parameters
from tests.conftest import tiny_synth_params
from tests.faults.conftest import outputs_digest, partial_files


class Disk:
    """A byte budget shared by every file opened through `open`; ENOSPC once it is spent."""

    def __init__(self, budget: int) -> None:
        self.left = budget

    def open(self, path: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        return _Limited(open(path, mode, *args, **kwargs), self)


class _Limited:
    def __init__(self, file: Any, disk: Disk) -> None:
        self._file, self._disk = file, disk

    def write(self, data: Any) -> int:
        size = memoryview(data).nbytes
        if size > self._disk.left:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self._disk.left -= size
        return self._file.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)

    def __enter__(self) -> _Limited:
        return self

    def __exit__(self, *exc: object) -> None:
        self._file.close()


def _assert_says_what_to_do(error: pytest.ExceptionInfo, folder: Path) -> None:
    message = str(error.value)
    assert str(folder) in message and "free space" in message and "no space left" in message


# collect: the second video's download meets the full disk.


@pytest.fixture
def loopback():
    server = Loopback()
    yield server
    server.close()


def _two_videos(loopback: Loopback) -> pd.DataFrame:
    import numpy as np

    from rmfer.video.encode import encode_mp4

    urls = []
    for seed in (0, 1):
        base = np.random.default_rng(seed).integers(0, 255, (48, 64, 3), dtype=np.uint8)
        data = encode_mp4([np.roll(base, 2 * i, axis=1) for i in range(20)], 10)
        urls.append(loopback.add(f"/video{seed}.mp4", data))
    return pd.DataFrame({"url": urls, "note": ["one", "two"]})


def test_collect_stops_on_a_full_disk_and_completes_once_there_is_space(
    loopback, tmp_path, monkeypatch
):
    sources = _two_videos(loopback)
    whole = collect_videos(sources, fast_collect_params(tmp_path / "whole"))
    first_size = Path(whole.loc[0, "path"]).stat().st_size
    disk = Disk(first_size + 100)  # the first video fits, the second does not
    sanitize_open = yt_dlp.downloader.common.sanitize_open

    def limited_open(filename: str, open_mode: str) -> tuple[Any, str]:
        stream, name = sanitize_open(filename, open_mode)
        return _Limited(stream, disk), name

    monkeypatch.setattr(yt_dlp.downloader.common, "sanitize_open", limited_open)
    videos = tmp_path / "full"

    with pytest.raises(DiskFullError) as error:
        collect_videos(sources, fast_collect_params(videos))

    _assert_says_what_to_do(error, Path(f"{videos}.partial"))
    assert sorted(p.name for p in videos.iterdir()) == ["video0.info.json", "video0.mp4"]
    monkeypatch.undo()
    again = collect_videos(sources, fast_collect_params(videos))
    assert list(again["status"]) == ["already present", "downloaded"]
    for column in ("video_id", "sha256", "size_bytes", "duration_s"):
        assert again[column].tolist() == whole[column].tolist()


# facetrack: a shard, then a table, meets the full disk.


@pytest.fixture(scope="module")
def two_videos(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """Two tiny demo videos, as rows of rm_video_index."""
    root = tmp_path_factory.mktemp("videos")
    rows = []
    for seed in (3, 4):
        params = tiny_synth_params(count=1, duration_s=2.0, fps=5, reactors_min=4, reactors_max=4)
        params["seed"] = seed
        plan = plan_world(SynthParams.from_dict(params)).videos[0]
        plan = dataclasses.replace(plan, video_id=f"video{seed}")
        data, _ = render_video(plan)
        (root / f"video{seed}.mp4").write_bytes(data)
        rows.append({"video_id": f"video{seed}", "path": str(root / f"video{seed}.mp4")})
    return pd.DataFrame(rows).assign(status="downloaded", sha256=None)


def _facetrack_params(faces_dir: Path) -> FacetrackParams:
    return FacetrackParams.from_dict(
        base_parameters("facetrack", faces_dir=str(faces_dir), progress=False)
    )


@pytest.fixture(scope="module")
def whole_run(two_videos, tmp_path_factory) -> dict[str, str]:
    faces = tmp_path_factory.mktemp("whole")
    run_facetrack(two_videos, _facetrack_params(faces))
    return outputs_digest(faces, ["."])


def _shard_bytes(faces: Path, video_id: str) -> int:
    return (faces / f"{video_id}.npy").stat().st_size


@pytest.mark.parametrize("where", ["shard", "table"])
def test_facetrack_stops_on_a_full_disk_and_completes_once_there_is_space(
    two_videos, whole_run, tmp_path, monkeypatch, where
):
    faces = tmp_path / "faces"
    if where == "shard":  # the first video's shard fits, the second's does not
        whole = faces.parent / "sizes"
        run_facetrack(two_videos.iloc[[0]], _facetrack_params(whole))
        disk = Disk(_shard_bytes(whole, "video3") + 1000)
        monkeypatch.setattr(shards, "open", disk.open, raising=False)
    else:  # the second video's first table
        calls = {"n": 0}
        to_parquet = pd.DataFrame.to_parquet

        def full_on_the_third(self, path, *args, **kwargs):
            calls["n"] += 1
            if calls["n"] == 3:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            return to_parquet(self, path, *args, **kwargs)

        monkeypatch.setattr(pd.DataFrame, "to_parquet", full_on_the_third)

    with pytest.raises(DiskFullError) as error:
        run_facetrack(two_videos, _facetrack_params(faces))

    named = faces / ("video4.npy" if where == "shard" else "video4.faces.parquet")
    _assert_says_what_to_do(error, named)
    assert (faces / "video3.json").is_file() and not (faces / "video4.json").exists()
    assert partial_files(faces) == []  # the failed write removed its temporary
    monkeypatch.undo()
    result = run_facetrack(two_videos, _facetrack_params(faces))
    statuses = {v: r["status"] for v, r in result.report["per_video"].items()}
    assert statuses == {"video3": SKIPPED, "video4": DONE}
    assert outputs_digest(faces, ["."]) == whole_run


def test_a_full_disk_inside_an_atomic_write_leaves_no_file(tmp_path):
    from rmfer.files import replace_atomically

    def write(partial: Path) -> None:
        partial.write_bytes(b"half")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with pytest.raises(DiskFullError, match="free space"):
        replace_atomically(tmp_path / "table.parquet", write)
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "table.parquet").write_text(json.dumps({"old": True}))
    with pytest.raises(DiskFullError):
        replace_atomically(tmp_path / "table.parquet", write)
    assert json.loads((tmp_path / "table.parquet").read_text()) == {"old": True}
