"""ACL samples (anchors) per second with the RM part assembled in 2 DataLoader workers against
the main process (`acl.rm_workers`, issue 15).

The RM part of a step is mining's draw (anchors with their positive and negative candidates)
and the read of every distinct face's crop from the shards (`rm_batch`). At the paper's counts
(32 anchors, 50 + 50 candidates) on a synthetic pool of facetrack-sized (112 px) random crops
(`--videos` x `--persons` x `--seconds` at 5 Hz, in the page cache after writing). Two cases:
- loading alone: parts as fast as they come;
- with a step: each part is followed by a step of --step-ms in which the main process waits
  (time.sleep, as for a GPU step), the case workers are for: they draw while the step runs.
The workers' first part (their start) is timed too. Runs alternate; medians are shown.
Usage: .venv/bin/python benchmarks/bench_rm_loading.py [--steps 40] [--workers 2]
       [--step-ms auto] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from itertools import islice
from pathlib import Path

import numpy as np
import torch

from bench_acl_step import synthetic_pool
from rmfer.data.rm_faces import RMFaces
from rmfer.data.rm_sampler import RMSampler
from rmfer.training.acl.batches import rm_batch
from rmfer.training.acl.rm_stream import RMStream, stream_loader

Parts = Callable[[], Iterator[dict[str, torch.Tensor]]]


def rate(parts: Parts, steps: int, anchors: int, step_s: float) -> float:
    """Anchors per second over `steps` parts, each followed by a wait of `step_s`."""
    started = time.perf_counter()
    for _ in islice(parts(), steps):
        if step_s:
            time.sleep(step_s)
    return steps * anchors / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--anchors", type=int, default=32)
    parser.add_argument("--candidates", type=int, default=50, help="positives = negatives")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--step-ms", default="auto", help="auto: the main process's part time")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--videos", type=int, default=8)
    parser.add_argument("--persons", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=120.0)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as temp:
        tracks = synthetic_pool(Path(temp), args.videos, args.persons, args.seconds, crop=112)
        faces = RMFaces(tracks, temp)
        sampler = RMSampler(
            window_s=1.0, distance_s=6.0, positives=args.candidates, negatives=args.candidates
        ).fit(faces.tracks)

        def main_process() -> Iterator[dict[str, torch.Tensor]]:
            rng = np.random.default_rng(0)
            while True:
                yield rm_batch(sampler, faces, rng, args.anchors)

        def workers() -> Iterator[dict[str, torch.Tensor]]:
            stream = RMStream(rm_batch, sampler, faces, args.anchors, 10**6, 0, 1, 0)
            return iter(stream_loader(stream, args.workers, pin=False))

        ways: dict[str, Parts] = {"main": main_process, "workers": workers}
        alone = {name: [rate(parts, args.steps, args.anchors, 0.0)] for name, parts in ways.items()}
        part_s = args.anchors / alone["main"][0]
        step_s = part_s if args.step_ms == "auto" else float(args.step_ms) / 1000
        stepped: dict[str, list[float]] = {name: [] for name in ways}
        for repeat in range(args.repeats):
            for name, parts in ways.items():
                if repeat:
                    alone[name].append(rate(parts, args.steps, args.anchors, 0.0))
                stepped[name].append(rate(parts, args.steps, args.anchors, step_s))
        faces_per_part = statistics.mean(
            len(part["rm_crops"]) for part in islice(main_process(), 5)
        )
    print(
        f"pool: {len(faces)} crops of 112 px; per part {args.anchors} anchors, "
        f"{args.candidates} + {args.candidates} candidates, ~{faces_per_part:.0f} distinct "
        f"crops read; {args.steps} parts per run, {args.repeats} runs, {args.workers} workers"
    )
    for label, table in (
        ("loading alone", alone),
        (f"with a {step_s * 1000:.0f} ms step", stepped),
    ):
        main_rate, worker_rate = (statistics.median(table[k]) for k in ("main", "workers"))
        print(
            f"{label:22} main {main_rate:8.0f} anchors/s   {args.workers} workers "
            f"{worker_rate:8.0f} anchors/s   ratio {worker_rate / main_rate:.2f}x"
        )


if __name__ == "__main__":
    main()
