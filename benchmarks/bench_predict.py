"""`rmfer predict` on CPU: frames per second on a demo video, and where the time goes.

One end-to-end run of `predict` (probe, decode, detect, track, align, check, link identities,
classify, write the table and the timeline), timed from inside: the detector's calls, the
alignment (the similarity transforms and the warps facetrack makes), the network's batches and
the decoding of the sampled frames are each timed (the detector as the time any of its calls
in flight runs). Detection runs in worker threads beside the rest (as in facetrack), so the
stage times may overlap: the shares are of the wall time, and "rest" (tracking, quality
checks, identities, files) is what the timed stages leave of it.
The network is the demo's (data/06_models/acl.pt when present, else the same architecture
untrained: speed does not depend on the weights). The fastest of `--repeats` runs counts.

    python benchmarks/bench_predict.py [--video data/01_raw/demo/videos/demo_000.mp4]
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml

import rmfer.faces.stream as stream
import rmfer.predict.run as run
from demo_video import DEMO, synthetic_video
from rmfer.faces.stream import make_detector
from rmfer.labels import label_names
from rmfer.models import build_network, make_checkpoint
from rmfer.models.network import NetworkConfig
from rmfer.predict import PredictOptions, load_model, predict
from rmfer.predict.params import read_facetrack_params
from rmfer.video.probe import probe_video

MODEL = Path("data/06_models/acl.pt")
PARAMS = Path("conf/base/parameters_facetrack.yml")


def demo_architecture(folder: Path) -> Path:
    """The demo IAL's network (conf/base/parameters_ial.yml), untrained."""
    ial = yaml.safe_load(Path("conf/base/parameters_ial.yml").read_text())["ial"]
    config = NetworkConfig(ial["backbone"], 7, ial["image_size"], label_names(7))
    path = folder / "untrained.pt"
    torch.save(make_checkpoint(build_network(config)), path)
    return path


class Timer:
    """The wall time during which at least one call to the wrapped function runs, from any
    thread: the detector has calls in flight at once, and their sum would count time twice."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.calls = 0
        self._running = 0
        self._since = 0.0
        self._lock = threading.Lock()

    def wrap(self, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                if self._running == 0:
                    self._since = time.perf_counter()
                self._running += 1
            try:
                return function(*args, **kwargs)
            finally:
                with self._lock:
                    self._running -= 1
                    self.calls += 1
                    if self._running == 0:
                        self.seconds += time.perf_counter() - self._since

        return timed


def timed_frames(timer: Timer, frames: Iterator[Any]) -> Iterator[Any]:
    """The same frames, with the time spent producing each (decoding) added to `timer`."""
    while True:
        started = time.perf_counter()
        try:
            frame = next(frames)
        except StopIteration:
            return
        finally:
            timer.seconds += time.perf_counter() - started
        yield frame


def run_once(video: Path, model_path: Path, out: Path) -> dict[str, float]:
    """One timed predict; the stages timed through the module attributes predict calls."""
    params = read_facetrack_params(PARAMS, default=True)
    model = load_model(model_path, "cpu")
    detector = make_detector(params)
    detector.detect([np.zeros((64, 64, 3), np.uint8)])  # the model loads before the clock starts
    decode = run.sample_frames
    timers = {name: Timer() for name in ("decode", "detect", "align", "network")}
    detector.detect = timers["detect"].wrap(detector.detect)  # type: ignore[method-assign]
    model.probabilities = timers["network"].wrap(model.probabilities)  # type: ignore[method-assign]
    patched = {
        (stream, "similarity_transforms"): timers["align"].wrap(stream.similarity_transforms),
        (stream, "warp_aligned"): timers["align"].wrap(stream.warp_aligned),
        (run, "sample_frames"): lambda *a, **k: timed_frames(
            timers["decode"], iter(decode(*a, **k))
        ),
    }
    originals = {key: getattr(*key) for key in patched}
    for (module, name), function in patched.items():
        setattr(module, name, function)
    try:
        started, cpu = time.perf_counter(), time.process_time()
        options = PredictOptions(out, progress=False)
        (result,) = predict([video], model, params, options, detector, echo=lambda _: None)
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        for (module, name), function in originals.items():
            setattr(module, name, function)
    return {
        "wall": wall,
        "cpu": cpu,
        "frames": result.frames,
        "faces": len(result.table),
        "video_s": probe_video(video).duration_s,
        **{name: timer.seconds for name, timer in timers.items()},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", type=Path, default=DEMO if DEMO.exists() else None)
    parser.add_argument("--model", type=Path, default=MODEL if MODEL.exists() else None)
    parser.add_argument("--seconds", type=float, default=20.0, help="of a synthetic video")
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="bench_predict_") as tmp:
        video = args.video or synthetic_video(Path(tmp), args.seconds)
        model = args.model or demo_architecture(Path(tmp))
        runs = [run_once(video, model, Path(tmp, f"out_{k}")) for k in range(args.repeats)]
    best = min(runs, key=lambda r: r["wall"])
    wall = best["wall"]
    print(
        f"video: {video} ({best['video_s']:.1f} s, {best['frames']} sampled frames, "
        f"{best['faces']} faces); model: {model}; CPU, {torch.get_num_threads()} torch threads; "
        f"best of {args.repeats}"
    )
    print(
        f"predict end to end: wall {wall:.2f} s, CPU {best['cpu']:.2f} s -> "
        f"{best['frames'] / wall:.2f} sampled frames/s, {best['faces'] / wall:.1f} faces/s, "
        f"{best['video_s'] / wall:.2f} s of video per second"
    )
    stages = ("detect", "align", "network", "decode")
    for name in stages:
        print(f"  {name:8s} {best[name]:7.2f} s  {best[name] / wall:6.1%} of wall")
    rest = wall - sum(best[n] for n in stages)
    print(
        f"  {'rest':8s} {rest:7.2f} s  {rest / wall:6.1%} of wall (tracking, quality, identities, "
        "files; negative when detection overlapped the rest)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
