"""The whole demo world: a plan drawn from one seed, then rendered in parallel.

Planning is cheap and sequential, so the seed fixes everything; rendering each image or video
uses only its own planned seed, so the worker count never changes a byte.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from tqdm.auto import tqdm

from rmfer.synth.benchmark import CANONICAL_TO_RAFDB, BenchmarkItem, plan_items, render_item
from rmfer.synth.face import sample_background, sample_lighting
from rmfer.synth.film import sample_film
from rmfer.synth.identity import Identity, sample_identity
from rmfer.synth.mashup import MIXTURE_COLUMNS, MashupPlan, render_frames, sample_layout
from rmfer.synth.params import SynthParams
from rmfer.synth.reactor import sample_reactor
from rmfer.video.encode import encode_mp4

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class WorldPlan:
    params: SynthParams
    identities: tuple[Identity, ...]  # benchmark identities; split membership below
    identities_per_split: dict[str, list[int]]
    items: tuple[BenchmarkItem, ...]
    videos: tuple[MashupPlan, ...]

    def to_dict(self) -> dict:
        """A JSON-ready description, so users can see what the world holds."""
        return {
            "seed": self.params.seed,
            "benchmark": {
                "classes": list(self.params.benchmark.classes),
                "identities_per_split": self.identities_per_split,
                "images": len(self.items),
            },
            "videos": [video.to_dict() for video in self.videos],
        }


def plan_world(params: SynthParams) -> WorldPlan:
    bench_seq, video_seq = np.random.SeedSequence(params.seed).spawn(2)
    rng = np.random.default_rng(bench_seq)
    bench = params.benchmark
    identities = tuple(
        sample_identity(rng) for _ in range(bench.identities_train + bench.identities_test)
    )
    per_split = {
        "train": list(range(bench.identities_train)),
        "test": list(range(bench.identities_train, len(identities))),
    }
    items = tuple(plan_items(rng, bench, per_split))
    videos = tuple(
        _plan_video(np.random.default_rng(seq), f"demo_{k:03d}", params)
        for k, seq in enumerate(video_seq.spawn(params.videos.count))
    )
    return WorldPlan(params, identities, per_split, items, videos)


def _plan_video(rng: np.random.Generator, video_id: str, params: SynthParams) -> MashupPlan:
    spec = params.videos
    count = int(rng.integers(spec.reactors_min, spec.reactors_max + 1))
    reactors = tuple(
        sample_reactor(rng, k, sample_identity(rng), spec.duration_s, spec.event_rate_per_min)
        for k in range(count)
    )
    layouts, starts = [sample_layout(rng, count)], [0.0]
    if rng.random() < spec.layout_change_prob:
        layouts.append(sample_layout(rng, count))
        starts.append(round(float(rng.uniform(0.3, 0.7)) * spec.duration_s, 3))
    return MashupPlan(
        video_id=video_id,
        film=sample_film(rng, spec.duration_s, spec.segment_min_s, spec.segment_max_s),
        reactors=reactors,
        layouts=tuple(layouts),
        layout_starts=tuple(starts),
        lightings=tuple(sample_lighting(rng) for _ in range(count)),
        border_colour=tuple(int(v) for v in rng.integers(0, 60, size=3)),
        seed=int(rng.integers(2**31)),
        duration_s=spec.duration_s,
        fps=spec.fps,
        width=spec.width,
        height=spec.height,
        crf=spec.crf,
    )


def parallel_map(
    function: Callable[[T], R], items: Iterable[T], total: int, workers: int, desc: str
) -> list[R]:
    """`function` over `items` in worker processes, in order, with a progress bar."""
    results = Parallel(n_jobs=workers, return_as="generator")(delayed(function)(x) for x in items)
    return list(tqdm(results, total=total, desc=desc, unit="item"))


def render_benchmark(plan: WorldPlan, workers: int) -> dict[str, bytes]:
    """Partition key (RAF-DB path under `Image/`, no suffix) -> JPEG bytes."""
    bench = plan.params.benchmark
    jobs = [(item, plan.identities[item.identity_idx], bench) for item in plan.items]
    rendered = parallel_map(_render_item_job, jobs, len(jobs), workers, "benchmark images")
    files: dict[str, bytes] = {}
    for item, (original, aligned) in zip(plan.items, rendered, strict=True):
        files[f"original/{item.stem}"] = original
        files[f"aligned/{item.stem}_aligned"] = aligned
    return files


def _render_item_job(job: tuple[BenchmarkItem, Identity, object]) -> tuple[bytes, bytes]:
    item, identity, bench = job
    return render_item(item, identity, bench)  # type: ignore[arg-type]


def benchmark_truth(plan: WorldPlan) -> pd.DataFrame:
    """What each benchmark image really shows; for measurement, never for training."""
    rows = []
    for item in plan.items:
        row = {
            "image": f"{item.stem}.jpg",
            "split": item.split,
            "identity": item.identity_idx,
            "label": item.label,
            "rafdb_label": CANONICAL_TO_RAFDB[item.label],
            "dominant": int(np.argmax(item.mixture)),
        }
        row.update(zip(MIXTURE_COLUMNS, item.mixture.round(5).tolist(), strict=True))
        rows.append(row)
    return pd.DataFrame(rows)


def render_video(plan: MashupPlan) -> tuple[bytes, pd.DataFrame]:
    """One mashup as mp4 bytes, with its ground-truth table."""
    rng = np.random.default_rng(plan.seed + 1)
    side = max(plan.width, plan.height) // 2
    backgrounds = [sample_background(rng, side, side) for _ in plan.reactors]
    truth: list[dict] = []

    def frames() -> Iterable[np.ndarray]:
        for frame, rows in render_frames(plan, backgrounds):
            truth.extend(rows)
            yield frame

    video = encode_mp4(frames(), plan.fps, crf=plan.crf)
    return video, pd.DataFrame(truth)


def render_videos(
    plan: WorldPlan, workers: int
) -> tuple[dict[str, bytes], dict[str, pd.DataFrame]]:
    rendered = parallel_map(render_video, plan.videos, len(plan.videos), workers, "mashup videos")
    videos = {v.video_id: data for v, (data, _) in zip(plan.videos, rendered, strict=True)}
    truths = {v.video_id: truth for v, (_, truth) in zip(plan.videos, rendered, strict=True)}
    return videos, truths


def rm_sources(plan: WorldPlan, videos_dir: str) -> pd.DataFrame:
    """The demo's source list: each video as a file:// URL, as collect reads any source list."""
    folder = Path(videos_dir).resolve()
    return pd.DataFrame(
        {
            "url": [(folder / f"{v.video_id}.mp4").as_uri() for v in plan.videos],
            "note": [f"demo mashup, {len(v.reactors)} reactors" for v in plan.videos],
        }
    )
