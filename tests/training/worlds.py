"""Small labeled benchmarks for training tests, rendered by the demo world generator."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from rmfer.data import read_benchmark
from rmfer.synth import world
from rmfer.synth.benchmark import label_file_text
from rmfer.synth.params import SynthParams
from tests.conftest import tiny_synth_params


def render_small_benchmark(root: Path, **benchmark: float) -> pd.DataFrame:
    """A demo benchmark in RAF-DB layout under `root` (only the images; no videos), indexed."""
    params = tiny_synth_params(count=1)
    params["benchmark"].update(benchmark)
    plan = world.plan_world(SynthParams.from_dict(params))
    for key, data in world.render_benchmark(plan, workers=1).items():
        path = root / "Image" / f"{key}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    (root / "EmoLabel").mkdir(parents=True, exist_ok=True)
    (root / "EmoLabel/list_patition_label.txt").write_text(label_file_text(list(plan.items)))
    return read_benchmark("rafdb", root)
