"""A small demo world for the face tests: one 3x3 mashup, one whose layout changes midway."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

from rmfer.faces.params import FacetrackParams
from rmfer.faces.stage import FacetrackResult, run_facetrack
from rmfer.synth.params import SynthParams
from rmfer.synth.world import plan_world, render_video
from tests.conf import base_parameters
from tests.conftest import tiny_synth_params

DURATION_S = 6.0
WORLD = (  # (video_id, seed, videos parameters)
    ("grid_3x3", 7, {"reactors_min": 9, "reactors_max": 9, "layout_change_prob": 0.0}),
    ("layout_change", 8, {"reactors_min": 4, "reactors_max": 6, "layout_change_prob": 1.0}),
)


@dataclasses.dataclass(frozen=True)
class World:
    root: Path
    video_ids: tuple[str, ...]
    layouts: dict[str, int]  # video_id -> number of layouts

    def video(self, video_id: str) -> Path:
        return self.root / "videos" / f"{video_id}.mp4"

    def truth(self, video_id: str) -> pd.DataFrame:
        return pd.read_parquet(self.root / "truth" / f"{video_id}.parquet")

    def index(self, extra: dict[str, Path] | None = None) -> pd.DataFrame:
        """rm_video_index rows as collect writes them (the columns facetrack reads)."""
        paths = {v: self.video(v) for v in self.video_ids} | (extra or {})
        return pd.DataFrame(
            {
                "video_id": list(paths),
                "path": [str(p) for p in paths.values()],
                "status": "downloaded",
                "sha256": None,
            }
        )


@pytest.fixture(scope="session")
def small_world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """Rendered once per session with the real synth code (10 fps, 8 s each)."""
    root = tmp_path_factory.mktemp("world")
    (root / "videos").mkdir()
    (root / "truth").mkdir()
    layouts = {}
    for video_id, seed, spec in WORLD:
        params = tiny_synth_params(count=1, duration_s=DURATION_S, fps=10, **spec)
        params["seed"] = seed
        plan = dataclasses.replace(
            plan_world(SynthParams.from_dict(params)).videos[0], video_id=video_id
        )
        data, truth = render_video(plan)
        (root / "videos" / f"{video_id}.mp4").write_bytes(data)
        truth.to_parquet(root / "truth" / f"{video_id}.parquet")
        layouts[video_id] = len(plan.layouts)
    return World(root, tuple(v for v, _, _ in WORLD), layouts)


def facetrack_params(faces_dir: Path, **overrides) -> FacetrackParams:
    """conf/base's facetrack block; a nested override changes only the keys it names."""
    params = base_parameters("facetrack", faces_dir=str(faces_dir), progress=False)
    for key, value in overrides.items():
        params[key] = {**params[key], **value} if isinstance(value, dict) else value
    return FacetrackParams.from_dict(params)


@pytest.fixture(scope="session")
def small_world_run(
    small_world: World, tmp_path_factory: pytest.TempPathFactory
) -> tuple[FacetrackResult, Path]:
    faces_dir = tmp_path_factory.mktemp("rm_faces")
    return run_facetrack(small_world.index(), facetrack_params(faces_dir)), faces_dir
