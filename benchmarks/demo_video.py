"""The video the speed benchmarks run on: the demo's first video, or a 3x3 mashup made here."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import yaml

from rmfer.synth.params import SynthParams
from rmfer.synth.world import plan_world, render_video

DEMO = Path("data/01_raw/demo/videos/demo_000.mp4")


def synthetic_video(folder: Path, seconds: float) -> Path:
    """A 3x3 mashup from the demo generator, when the demo world is not there."""
    params = yaml.safe_load(Path("conf/base/parameters_synth.yml").read_text())["synth"]
    params["videos"].update(count=1, duration_s=seconds, fps=10, reactors_min=9, reactors_max=9)
    plan = plan_world(SynthParams.from_dict(params)).videos[0]
    path = folder / "bench.mp4"
    path.write_bytes(render_video(dataclasses.replace(plan, video_id="bench"))[0])
    return path
