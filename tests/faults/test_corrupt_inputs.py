"""Corrupt inputs met mid-run: a video whose later half is corrupt keeps the faces of its readable
half and the report says where decoding stopped; a benchmark image that cannot be decoded is
found before training starts, once per index."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from rmfer.data.check import check_images
from rmfer.data.index import BenchmarkFormatError
from rmfer.faces.params import FacetrackParams
from rmfer.faces.stage import DONE, run_facetrack
from rmfer.synth.params import SynthParams
from rmfer.synth.world import plan_world, render_video
from tests.conf import base_parameters
from tests.conftest import tiny_synth_params


def _garble_later_half(data: bytes) -> bytes:
    """The mp4 with the second half of its media bytes overwritten; its index (moov) intact."""
    start, end = data.find(b"mdat") + 4, data.find(b"moov") - 4
    assert 0 < start < end, "expected the media before the index, as encode_mp4 writes them"
    middle = start + (end - start) // 2
    garbage = np.random.default_rng(0).integers(0, 256, end - middle, dtype=np.uint8).tobytes()
    return data[:middle] + garbage + data[end:]


def test_a_video_with_a_corrupt_later_half_keeps_its_readable_faces(tmp_path):
    params = tiny_synth_params(count=1, duration_s=4.0, fps=5, reactors_min=4, reactors_max=4)
    plan = dataclasses.replace(plan_world(SynthParams.from_dict(params)).videos[0], video_id="v")
    data, _ = render_video(plan)
    (tmp_path / "v.mp4").write_bytes(_garble_later_half(data))
    index = pd.DataFrame(
        {"video_id": ["v"], "path": [str(tmp_path / "v.mp4")], "status": ["downloaded"]}
    )
    facetrack = base_parameters("facetrack", faces_dir=str(tmp_path / "faces"), progress=False)

    result = run_facetrack(index, FacetrackParams.from_dict(facetrack))

    video = result.report["per_video"]["v"]
    assert video["status"] == DONE
    assert "decoding stopped after" in video["reason"] and "(frame " in video["reason"]
    assert 0 < len(result.frames) < 20  # 4 s at 5 Hz: 20 frames whole
    assert len(result.tracks) > 0
    assert result.tracks["frame_idx"].max() <= result.frames["frame_idx"].max()
    shard = np.load(tmp_path / "faces/v.npy", mmap_mode="r")
    assert len(shard) == len(result.tracks)


def _rafdb_index(root: Path, count: int) -> pd.DataFrame:
    """An index of `count` small JPEGs, as a reader returns it."""
    root.mkdir(parents=True, exist_ok=True)
    paths = []
    for k in range(count):
        path = root / f"train_{k:05d}.jpg"
        Image.fromarray(np.full((8, 8, 3), k * 20, dtype=np.uint8)).save(path)
        paths.append(str(path))
    labels = [k % 7 for k in range(count)]
    return pd.DataFrame({"path": paths, "label": labels, "split": "train", "dataset": "rafdb"})


def test_a_broken_benchmark_image_is_found_before_training_and_checked_once(tmp_path):
    index = _rafdb_index(tmp_path / "images", 5)
    broken = Path(index.loc[3, "path"])
    broken.write_bytes(broken.read_bytes()[:40])  # a download cut short
    cache = tmp_path / "cache"

    with pytest.raises(BenchmarkFormatError) as error:
        check_images(index, cache)

    assert "1 of 5 benchmark images" in str(error.value) and str(broken) in str(error.value)
    _rafdb_index(tmp_path / "images", 5)  # the user puts the file back
    assert check_images(index, cache) == 5
    assert check_images(index, cache) == 0  # the same index, unchanged files: not decoded again


def test_the_ial_stage_checks_its_images_before_it_trains(tmp_path, monkeypatch):
    from rmfer.pipelines.ial import nodes

    index = _rafdb_index(tmp_path / "images", 7)
    Path(index.loc[6, "path"]).write_bytes(b"not a jpeg")
    check = base_parameters("benchmark_check", cache_dir=str(tmp_path / "checks"))
    whole = base_parameters("subsample", labels_per_class=None)
    monkeypatch.setattr(nodes, "train_run", lambda *a: pytest.fail("training started"))

    with pytest.raises(BenchmarkFormatError, match="cannot be decoded"):
        nodes.index_benchmark(index, check, whole)
    assert not (tmp_path / "checks").exists()  # nothing remembered: the next run checks again

    _rafdb_index(tmp_path / "images", 7)  # the user replaces the file
    assert len(nodes.index_benchmark(index, check, whole)) == 7
    assert [p.suffix for p in (tmp_path / "checks").iterdir()] == [".ok"]
