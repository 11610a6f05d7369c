"""Thin nodes over `rmfer.synth`."""

from __future__ import annotations

import logging
import os
from typing import Any

import pandas as pd

from rmfer.synth import world
from rmfer.synth.benchmark import label_file_text
from rmfer.synth.params import SynthParams

logger = logging.getLogger(__name__)


def plan_demo_world(params: dict[str, Any]) -> tuple[world.WorldPlan, dict]:
    """Validate the parameters and draw the whole world from the seed."""
    plan = world.plan_world(SynthParams.from_dict(params))
    return plan, plan.to_dict()


def _workers(plan: world.WorldPlan) -> int:
    """`synth.workers`, where null means every core."""
    return int(plan.params.workers or os.cpu_count() or 1)


def render_demo_benchmark(plan: world.WorldPlan) -> tuple[dict[str, bytes | str], pd.DataFrame]:
    """The benchmark's files in RAF-DB's layout (images and label file, relative path ->
    content), and the ground truth kept beside it."""
    images = world.render_benchmark(plan, _workers(plan))
    logger.info("Demo benchmark: %d images in RAF-DB layout", len(images) // 2)
    files: dict[str, bytes | str] = {f"Image/{key}.jpg": data for key, data in images.items()}
    files["EmoLabel/list_patition_label.txt"] = label_file_text(list(plan.items))
    return files, world.benchmark_truth(plan)


def render_demo_videos(
    plan: world.WorldPlan,
) -> tuple[dict[str, bytes], dict[str, pd.DataFrame], pd.DataFrame]:
    """The mashup videos, their ground-truth sidecars and the source list collect reads."""
    videos, truths = world.render_videos(plan, _workers(plan))
    sources = world.rm_sources(plan, plan.params.videos_dir)
    frames = sum(len(t["frame_idx"].unique()) for t in truths.values())
    logger.info("Demo videos: %d videos, %d frames", len(videos), frames)
    return videos, truths, sources
