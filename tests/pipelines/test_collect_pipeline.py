"""`kedro run --pipeline=collect` in a copy of the project, on file:// sources made here."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from kedro.config import OmegaConfigLoader
from kedro.io import DataCatalog

from rmfer.video.encode import encode_mp4
from tests.pipelines.conftest import run_tool


def small_video(seed: int) -> bytes:
    """Small, but inside the base filters (at least 120 px high and 1 s long)."""
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 255, (240, 320, 3), dtype=np.uint8)
    return encode_mp4([np.roll(base, 4 * i, axis=1) for i in range(30)], fps=5)


@pytest.mark.slow
def test_kedro_run_collect_writes_the_folder_and_the_index(project_copy, monkeypatch):
    videos = {}
    for seed, name in enumerate(["mashup_a", "mashup_b"]):
        path = project_copy / "incoming" / f"{name}.mp4"
        path.parent.mkdir(exist_ok=True)
        videos[name] = small_video(seed)
        path.write_bytes(videos[name])
    urls = [(project_copy / "incoming" / f"{n}.mp4").as_uri() for n in videos]
    missing = (project_copy / "incoming" / "missing.mp4").as_uri()
    sources = project_copy / "data/01_raw/demo/rm_sources.csv"
    sources.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"url": [*urls, missing], "note": ["a", "b", "gone"]}).to_csv(sources, index=False)

    monkeypatch.setenv("COLUMNS", "300")  # rich wraps log lines to the terminal's width
    first = run_tool(["kedro", "run", "--pipeline=collect"], project_copy, timeout=120)

    assert (
        "collect: 2 downloaded, 0 already present, 0 rejected, 1 failed"
        in first.stdout + first.stderr
    )
    index = pd.read_parquet(project_copy / "data/02_intermediate/rm_video_index.parquet")
    assert list(index["status"]) == ["downloaded", "downloaded", "failed"]
    assert list(index["height"][:2]) == [240, 240]

    # facetrack reads the folder through the catalog's rm_videos
    monkeypatch.chdir(project_copy)
    conf = OmegaConfigLoader(str(project_copy / "conf"), base_env="base", default_run_env="local")
    catalog = DataCatalog.from_config(conf["catalog"])
    partitions = catalog.load("rm_videos")
    assert {k: load() for k, load in partitions.items()} == videos
    mtimes = {
        p.name: p.stat().st_mtime_ns for p in (project_copy / "data/01_raw/rm_videos").iterdir()
    }

    second = run_tool(["kedro", "run", "--pipeline=collect"], project_copy, timeout=120)

    assert (
        "collect: 0 downloaded, 2 already present, 0 rejected, 1 failed"
        in second.stdout + second.stderr
    )
    after = {
        p.name: p.stat().st_mtime_ns for p in (project_copy / "data/01_raw/rm_videos").iterdir()
    }
    assert after == mtimes
