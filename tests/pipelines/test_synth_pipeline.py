"""The synth pipeline run for real by `kedro run` in a copy of the project."""

from __future__ import annotations

import hashlib
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest

from rmfer.synth.benchmark import CANONICAL_TO_RAFDB
from tests.pipelines.conftest import run_tool


@pytest.fixture(scope="module")
def demo(project_copy: Path) -> Path:
    """One `kedro run --pipeline=synth` in a project copy; the tests read what it wrote."""
    run_tool(["kedro", "run", "--pipeline=synth"], project_copy)
    return project_copy / "data/01_raw/demo"


def test_rafdb_layout_matches_the_real_one(demo):
    basic = demo / "rafdb/basic"
    lines = (basic / "EmoLabel/list_patition_label.txt").read_text().splitlines()
    assert len(lines) == 7 * 3 + 7 * 2
    names = [line.split(" ")[0] for line in lines]
    labels = [int(line.split(" ")[1]) for line in lines]
    assert names[:21] == [f"train_{k:05d}.jpg" for k in range(1, 22)]
    assert names[21:] == [f"test_{k:04d}.jpg" for k in range(1, 15)]
    assert sorted(set(labels)) == [1, 2, 3, 4, 5, 6, 7]
    for line in lines:
        assert len(line.split(" ")) == 2
    for name in names:
        stem = name[: -len(".jpg")]
        original = cv2.imread(str(basic / "Image/original" / name))
        aligned = cv2.imread(str(basic / "Image/aligned" / f"{stem}_aligned.jpg"))
        assert original is not None and original.shape == (192, 192, 3)
        assert aligned is not None and aligned.shape == (100, 100, 3)
    assert len(list((basic / "Image/original").iterdir())) == len(names)


def test_rafdb_label_ids_follow_the_data_formats_mapping(demo):
    truth = pd.read_parquet(demo / "rafdb_truth.parquet")
    lines = (demo / "rafdb/basic/EmoLabel/list_patition_label.txt").read_text().splitlines()
    written = dict(line.split(" ") for line in lines)
    # docs/data-formats.md: RAF-DB 1 Surprise, 2 Fear, 3 Disgust, 4 Happiness, 5 Sadness,
    # 6 Anger, 7 Neutral
    rafdb_to_canonical = {1: 3, 2: 4, 3: 5, 4: 1, 5: 2, 6: 6, 7: 0}
    assert {v: k for k, v in CANONICAL_TO_RAFDB.items()} == rafdb_to_canonical
    for row in truth.itertuples():
        assert rafdb_to_canonical[int(written[row.image])] == row.label


def test_videos_sidecars_and_sources_are_in_place(demo):
    videos = sorted(p.name for p in (demo / "videos").iterdir())
    assert videos == ["demo_000.mp4", "demo_001.mp4"]
    assert sorted(p.name for p in (demo / "truth").iterdir()) == [
        "demo_000.parquet",
        "demo_001.parquet",
    ]
    sources = pd.read_csv(demo / "rm_sources.csv")
    assert sources["url"].tolist() == [(demo / "videos" / v).resolve().as_uri() for v in videos]
    truth = pd.read_parquet(demo / "truth/demo_000.parquet")
    assert truth["frame_idx"].nunique() == 10


def test_a_second_run_writes_identical_bytes(demo):
    def digests() -> dict[str, str]:
        return {
            str(p.relative_to(demo)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(demo.rglob("*"))
            if p.is_file()
        }

    before = digests()
    run_tool(["kedro", "run", "--pipeline=synth"], demo.parents[2])
    assert digests() == before
    assert np.all([not name.endswith(".partial") for name in before])
