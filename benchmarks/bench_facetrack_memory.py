"""Facetrack's memory does not grow with the video: peak RSS for a video 5 times as long.

A 3x3 mashup is rendered with the demo generator (`--seconds` long), and a second video repeats
its frames 5 times. Facetrack runs on each in a fresh subprocess, which reports its peak resident
memory (ru_maxrss). Frames stream from the decoder and crops stream to the shard, so the longer
video should need less than 15 % more; exits 1 otherwise.

    python benchmarks/bench_facetrack_memory.py [--seconds 12] [--times 5]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np
import pandas as pd
import yaml

from rmfer.video.encode import encode_mp4

TARGET = 0.15


def render(path: Path, seconds: float) -> None:
    from rmfer.synth.params import SynthParams
    from rmfer.synth.world import plan_world, render_video

    params = yaml.safe_load(Path("conf/base/parameters_synth.yml").read_text())["synth"]
    params["videos"].update(count=1, duration_s=seconds, fps=10, reactors_min=9, reactors_max=9)
    plan = plan_world(SynthParams.from_dict(params)).videos[0]
    path.write_bytes(render_video(dataclasses.replace(plan, video_id="short"))[0])


def repeat(source: Path, target: Path, times: int) -> None:
    """`source`'s frames `times` over, one after the other (in the parent, not measured)."""

    def frames() -> Iterator[np.ndarray]:
        for _ in range(times):
            with av.open(str(source)) as video:
                for frame in video.decode(video=0):
                    yield frame.to_ndarray(format="rgb24")

    target.write_bytes(encode_mp4(frames(), fps=10))


def child(video: str, faces_dir: str) -> None:
    """Runs in the subprocess: facetrack on one video, then the peak RSS as JSON."""
    from rmfer.faces.params import FacetrackParams
    from rmfer.faces.stage import run_facetrack

    index = pd.DataFrame({"video_id": ["v"], "path": [video], "status": "downloaded"})
    base = yaml.safe_load(Path("conf/base/parameters_facetrack.yml").read_text())["facetrack"]
    params = FacetrackParams.from_dict(base | {"faces_dir": faces_dir, "progress": False})
    report = run_facetrack(index, params).report
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(
        json.dumps(
            {
                "peak_mib": peak_kib / 1024,
                "frames": report["sampled_frames"],
                "faces": report["faces"],
            }
        )
    )


def measure(video: Path, faces_dir: Path) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(video), str(faces_dir)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=12.0)
    parser.add_argument("--times", type=int, default=5)
    parser.add_argument("--child", nargs=2, metavar=("VIDEO", "FACES_DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return 0
    with tempfile.TemporaryDirectory(prefix="bench_facetrack_memory_") as tmp:
        short, long = Path(tmp, "short.mp4"), Path(tmp, "long.mp4")
        render(short, args.seconds)
        repeat(short, long, args.times)
        results = {
            name: measure(path, Path(tmp, f"faces_{name}"))
            for name, path in (("short", short), ("long", long))
        }
    for name, r in results.items():
        print(
            f"{name:5s}: {r['frames']:5d} sampled frames, {r['faces']:6d} faces, "
            f"peak RSS {r['peak_mib']:.0f} MiB"
        )
    growth = results["long"]["peak_mib"] / results["short"]["peak_mib"] - 1
    print(f"growth for a video {args.times} times as long: {growth:+.1%} (target < {TARGET:.0%})")
    return 0 if growth < TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
