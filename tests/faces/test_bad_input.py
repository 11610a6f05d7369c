"""One bad video is a recorded reason, never the end of the run."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rmfer.faces.stage import DONE, FAILED, FacetrackError, run_facetrack
from rmfer.synth.params import SynthParams
from rmfer.synth.world import plan_world, render_video
from rmfer.video.encode import encode_mp4
from tests.conftest import tiny_synth_params
from tests.faces.conftest import facetrack_params


def _index(paths: dict[str, Path]) -> pd.DataFrame:
    return pd.DataFrame(
        {"video_id": list(paths), "path": [str(p) for p in paths.values()], "status": "downloaded"}
    )


@pytest.fixture(scope="module")
def bad_videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bad")
    plan = plan_world(SynthParams.from_dict(tiny_synth_params(count=1, reactors_max=3))).videos[0]
    good, _ = render_video(dataclasses.replace(plan, video_id="good"))
    ramp = np.linspace(0, 255, 96 * 128 * 3).reshape(96, 128, 3).astype(np.uint8)
    files = {
        "good": good,
        "truncated": good[: len(good) * 2 // 3],
        "not_a_video": b"<html><body>This video is private.</body></html>",
        "zero_length": b"",
        "no_faces": encode_mp4([np.roll(ramp, 3 * i, axis=1) for i in range(10)], fps=5),
    }
    paths = {}
    for name, data in files.items():
        paths[name] = folder / f"{name}.mp4"
        paths[name].write_bytes(data)
    paths["missing"] = folder / "missing.mp4"
    return paths


def test_each_bad_video_is_recorded_and_the_good_one_is_processed(bad_videos, tmp_path):
    result = run_facetrack(_index(bad_videos), facetrack_params(tmp_path))
    videos = result.report["per_video"]
    assert videos["good"]["status"] == DONE and videos["good"]["faces"] > 0
    assert videos["no_faces"]["status"] == DONE
    assert videos["no_faces"]["reason"] == "no face found in 10 sampled frames"
    assert videos["no_faces"]["faces"] == 0
    reasons = {
        "truncated": "truncated",
        "not_a_video": "not a readable video",
        "zero_length": "not a readable video",
        "missing": "no such file",
    }
    for name, words in reasons.items():
        assert videos[name]["status"] == FAILED, name
        assert words in videos[name]["reason"], (name, videos[name]["reason"])
    assert result.report["videos"] == {"total": 6, "done": 2, "skipped": 0, "failed": 4}
    assert set(result.tracks["video_id"]) == {"good"}
    assert set(result.frames["video_id"]) == {"good", "no_faces"}
    assert not (tmp_path / "truncated.npy").exists()
    assert not list(tmp_path.glob(".*partial"))


def test_nothing_usable_fails_with_every_reason(bad_videos, tmp_path):
    bad = {k: v for k, v in bad_videos.items() if k in ("truncated", "not_a_video", "missing")}
    with pytest.raises(FacetrackError, match="not one video") as caught:
        run_facetrack(_index(bad), facetrack_params(tmp_path))
    for name in bad:
        assert name in str(caught.value)
