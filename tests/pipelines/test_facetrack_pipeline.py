"""`kedro run --pipeline=facetrack` in a copy of the project, then the quality measurement."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
from kedro.config import OmegaConfigLoader
from kedro.io import DataCatalog
from kedro.runner import SequentialRunner

from rmfer.pipelines.facetrack import create_quality_pipeline
from rmfer.synth.params import SynthParams
from rmfer.synth.world import plan_world, render_video
from tests.conftest import tiny_synth_params
from tests.pipelines.conftest import run_tool


@pytest.mark.slow
def test_kedro_run_facetrack_writes_tracks_shards_and_reports(project_copy, monkeypatch):
    # What synth and collect leave behind: a sidecar, a video in rm_videos, and the index.
    params = tiny_synth_params(count=1, duration_s=3.0, reactors_min=4, reactors_max=4)
    plan = dataclasses.replace(plan_world(SynthParams.from_dict(params)).videos[0], video_id="mash")
    video, truth = render_video(plan)
    (project_copy / "data/01_raw/demo/truth").mkdir(parents=True)
    truth.to_parquet(project_copy / "data/01_raw/demo/truth/mash.parquet")
    (project_copy / "data/01_raw/rm_videos").mkdir(parents=True)
    (project_copy / "data/01_raw/rm_videos/mash.mp4").write_bytes(video)
    (project_copy / "data/02_intermediate").mkdir(parents=True)
    index = pd.DataFrame(
        {"video_id": ["mash"], "path": ["data/01_raw/rm_videos/mash.mp4"], "status": ["downloaded"]}
    )
    index.to_parquet(project_copy / "data/02_intermediate/rm_video_index.parquet")
    monkeypatch.setenv("COLUMNS", "300")  # rich wraps log lines to the terminal's width

    run = run_tool(["kedro", "run", "--pipeline=facetrack"], project_copy, timeout=180)

    assert (
        "facetrack: 1 videos (1 done, 0 skipped, 0 failed), 15 sampled frames"
        in run.stdout + run.stderr
    )
    tracks = pd.read_parquet(project_copy / "data/03_primary/face_tracks.parquet")
    assert set(tracks["person_id"]) == {0, 1, 2, 3}
    shard = np.load(project_copy / "data/03_primary/rm_faces/mash.npy", mmap_mode="r")
    assert shard.shape == (len(tracks), 112, 112, 3)
    report = json.loads((project_copy / "data/08_reporting/facetrack_report.json").read_text())
    assert report["per_video"]["mash"]["status"] == "done"
    frames = pd.read_parquet(project_copy / "data/03_primary/facetrack_frames.parquet")
    assert len(frames) == 15

    # The quality pipeline (registered for the demo only) through Kedro's runner and catalog.
    monkeypatch.chdir(project_copy)
    conf = OmegaConfigLoader(str(project_copy / "conf"), base_env="base", default_run_env="local")
    catalog = DataCatalog.from_config(conf["catalog"])
    catalog["params:facetrack.evaluation"] = conf["parameters"]["facetrack"]["evaluation"]
    assert set(catalog.load("rm_faces")) == {"mash"}  # the shards, as partitions
    SequentialRunner().run(create_quality_pipeline(), catalog)
    quality = json.loads((project_copy / "data/08_reporting/facetrack_quality.json").read_text())
    assert quality["videos_measured"] == 1
    assert quality["overall"]["recall"] >= 0.95 and quality["overall"]["precision"] >= 0.98
