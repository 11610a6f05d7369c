"""Facetrack on a local Dask cluster against facetrack serial, on the demo's videos, one process.

Both run the demo's 6 videos from scratch (a fresh rm_faces folder each time), each timed
`--repeats` times, alternating, the fastest counting (the machine may be shared): serial, and
`executor: local:2`, which includes starting the cluster (its fork server importing facetrack's
modules, `rmfer.faces.cluster.LOCAL_CLUSTER_CONFIG`) and each worker's detector. The gate is
that ratio, local:2 / serial <= 1.15: the detector's own calls already use every core, so the
cluster gains only by overlapping decoding and tracking, and must not lose much to its own costs.

For estimating N machines on paper it then prints Dask's per-video costs on an already running
cluster (started as `local:N` starts its own): a no-op task's round trip (submit, run, result),
the scheduler's cost per task when many are submitted at once, and the per-video overhead of a
facetrack run on that cluster, its workers' slot time that is not a video's own compute:
(wall x workers - sum of the videos' in-worker seconds) / videos; it includes the wait for the
last video (the tail). CPU seconds are printed beside wall seconds: on a shared machine they are
what other processes cannot steal (the cluster's CPU counts its workers and its fork server, and
for `local:2` their start-up).

    python benchmarks/bench_facetrack_dask.py [--videos data/01_raw/demo/videos] [--repeats 2]
    python benchmarks/bench_facetrack_dask.py --seconds 10   # shorter videos when rendering
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import logging
import multiprocessing.forkserver
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import psutil
import yaml
from distributed import Client

from rmfer.faces.cluster import local_cluster
from rmfer.faces.executor import local_workers
from rmfer.faces.params import FacetrackParams
from rmfer.faces.stage import run_facetrack
from rmfer.faces.stream import available_cores
from rmfer.synth.params import SynthParams
from rmfer.synth.world import plan_world, render_video

TARGET = 1.15
WORKERS = 2
DEMO_VIDEOS = Path("data/01_raw/demo/videos")


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=Path, default=DEMO_VIDEOS)
    parser.add_argument("--seconds", type=float, default=None, help="when rendering the demo")
    parser.add_argument("--repeats", type=int, default=1)
    return parser.parse_args()


def demo_videos(folder: Path, target: Path, seconds: float | None) -> list[Path]:
    """The demo's videos; rendered from conf/base's synth parameters when not generated yet."""
    found = sorted(folder.glob("*.mp4"))
    if found:
        return found
    params = yaml.safe_load(Path("conf/base/parameters_synth.yml").read_text())["synth"]
    if seconds:
        params["videos"]["duration_s"] = seconds
    target.mkdir()
    paths = []
    for plan in plan_world(SynthParams.from_dict(params)).videos:
        paths.append(target / f"{plan.video_id}.mp4")
        paths[-1].write_bytes(render_video(plan)[0])
    return paths


def bench_params(executor: str) -> FacetrackParams:
    base = yaml.safe_load(Path("conf/base/parameters_facetrack.yml").read_text())["facetrack"]
    return FacetrackParams.from_dict(base | {"progress": False, "executor": executor})


def cpu_seconds() -> float:
    """CPU time of this process, of its ended children, and of its live ones with theirs: a
    local cluster's workers are children of the fork server, which outlives the cluster."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    live = 0.0
    for child in psutil.Process().children():
        with contextlib.suppress(psutil.NoSuchProcess):
            live += sum(child.cpu_times()[:4])  # user, system, and its ended children's
    return time.process_time() + children.ru_utime + children.ru_stime + live


def timed_run(
    index: pd.DataFrame, params: FacetrackParams, faces_dir: Path
) -> tuple[float, float, dict]:
    """Wall and CPU seconds (CPU: what other processes on the machine cannot steal), the report."""
    wall, cpu = time.perf_counter(), cpu_seconds()
    result = run_facetrack(index, dataclasses.replace(params, faces_dir=str(faces_dir)))
    if local_workers(params.executor):
        # The fork server outlives its cluster; stopped, each local run starts its own, as the
        # first local run of a fresh driver process does.
        multiprocessing.forkserver._forkserver._stop()  # private: the stdlib tests use it so
    assert result.report["videos"]["done"] == len(index), result.report["videos"]
    return time.perf_counter() - wall, cpu_seconds() - cpu, result.report


def noop() -> None:
    return None


def workers_cpu(client: Client) -> float:
    """CPU seconds the cluster's worker processes have used so far."""
    return sum(client.run(lambda: sum(psutil.Process().cpu_times()[:2])).values())


def dask_costs(client: Client) -> tuple[float, float]:
    """A no-op task's round trip, and the scheduler's time per task for 200 at once (seconds)."""
    client.submit(noop, pure=False).result()
    trips = []
    for _ in range(30):
        started = time.perf_counter()
        client.submit(noop, pure=False).result()
        trips.append(time.perf_counter() - started)
    started = time.perf_counter()
    client.gather(client.map(lambda _: None, range(200), pure=False))
    return statistics.median(trips), (time.perf_counter() - started) / 200


def main() -> int:
    args = arguments()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="bench_facetrack_dask_") as tmp:
        videos = demo_videos(args.videos, Path(tmp, "videos"), args.seconds)
        index = pd.DataFrame(
            {"video_id": [p.stem for p in videos], "path": list(map(str, videos))}
        ).assign(status="downloaded")
        runs: dict[str, list[tuple[float, float]]] = {"serial": [], f"local:{WORKERS}": []}
        for repeat in range(args.repeats):
            for executor in runs if repeat % 2 == 0 else reversed(runs):
                folder = Path(tmp, f"{executor.replace(':', '')}_{repeat}")
                runs[executor].append(timed_run(index, bench_params(executor), folder)[:2])
        with (
            local_cluster(WORKERS, threads_per_worker=1, dashboard_address=None) as cluster,
            Client(cluster) as client,
        ):
            round_trip, per_task = dask_costs(client)
            warm = bench_params(cluster.scheduler_address)
            timed_run(index.iloc[:WORKERS], warm, Path(tmp, "warm_up"))  # load each detector
            before = workers_cpu(client)
            wall, warm_cpu, report = timed_run(index, warm, Path(tmp, "warm"))
            warm_cpu += workers_cpu(client) - before
    computed = sum(v["seconds"] for v in report["per_video"].values())
    best = {k: (min(w for w, _ in v), min(c for _, c in v)) for k, v in runs.items()}
    (serial, serial_cpu), (local, local_cpu) = best["serial"], best[f"local:{WORKERS}"]
    print(
        f"{len(videos)} videos ({report['sampled_frames']} sampled frames, {report['faces']} "
        f"faces), {available_cores()} cores, best of {args.repeats}; seconds, wall and CPU"
    )
    print(f"serial                                  {serial:7.2f}  CPU {serial_cpu:7.2f}")
    print(f"local:{WORKERS} (cluster started by the run)    {local:7.2f}  CPU {local_cpu:7.2f}")
    print(
        f"ratio local:{WORKERS} / serial wall {local / serial:.3f} (gate: <= {TARGET}), "
        f"CPU {local_cpu / serial_cpu:.3f}"
    )
    print(f"already running cluster, {WORKERS} workers       {wall:7.2f}  CPU {warm_cpu:7.2f}")
    print(f"no-op task round trip                   {round_trip * 1000:7.2f} ms")
    print(f"scheduler time per task, 200 at once    {per_task * 1000:7.2f} ms")
    print(
        f"per-video overhead on a running cluster {(wall * WORKERS - computed) / len(videos):7.2f}"
        f"  ((wall x {WORKERS} - {computed:.2f} s in the workers) / {len(videos)})"
    )
    return 0 if local / serial <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
