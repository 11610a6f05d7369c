"""The fault bench: one copy of the project, the demo world's stages run once uninterrupted, and
a way to run a stage again from the state before it, killed at a named point.

Every trial runs in the same folder (absolute paths in sources and records stay the same) after
the data folder is put back to what the previous stage left. Kill points are
`rmfer.faults.checkpoint` labels, so a kill lands at the same place on every machine.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tests.pipelines.conftest import make_project_copy, tool_env

KILLED = -signal.SIGKILL
MISSING = "missing"

# What each demo stage writes (files or folders, relative to the project root).
OUTPUTS = {
    "synth": ["data/01_raw/demo"],
    "collect": ["data/01_raw/rm_videos", "data/02_intermediate/rm_video_index.parquet"],
    "facetrack": [
        "data/03_primary/rm_faces",
        "data/03_primary/face_tracks.parquet",
        "data/03_primary/facetrack_frames.parquet",
        "data/08_reporting/facetrack_report.json",
    ],
    "facetrack_quality": ["data/08_reporting/facetrack_quality.json"],  # what evaluate reads
    "ial": [
        "data/02_intermediate/benchmark_index.parquet",
        "data/06_models/ial.pt",
        "data/06_models/baseline.pt",
        "data/08_reporting/ial_metrics.json",
        "data/08_reporting/baseline_metrics.json",
    ],
    "acl": ["data/06_models/acl.pt", "data/08_reporting/acl_metrics.json"],
    "evaluate": [
        "data/08_reporting/evaluation.json",
        "data/08_reporting/report.md",
        "data/08_reporting/metrics.json",
        "data/08_reporting/figures",
        "data/08_reporting/plots",
    ],
}
# What a run records about itself rather than about its result: when, and how long, it ran, and
# whether a video was done now or found done before. Everything else must match byte for byte.
_RUN_FIELDS = {"collected_at", "mtime_ns", "seconds", "evaluate_seconds"}
_TIME_ROW = re.compile(r"^(\| [^|]+ \| )\d+(\.\d+)? \|", re.MULTILINE)  # report.md's times
_FOUND_DONE = {"already present": "downloaded", "skipped": "done"}  # status: resumed = done


@dataclass
class Bench:
    """The project copy and the data folder as each stage left it in an uninterrupted run."""

    root: Path
    states: Path  # states/<stage>: the data folder after <stage>, first run, no fault

    def before(self, stage: str) -> None:
        """Put the data folder back to what the stage before `stage` left (run it if need be)."""
        order = list(OUTPUTS)
        previous = order[order.index(stage) - 1] if order.index(stage) else None
        if previous is not None:
            self.expected(previous)  # makes sure the previous stage has run
        shutil.rmtree(self.root / "data")
        if previous is None:
            for folder in ("data/01_raw", "data/02_intermediate"):
                (self.root / folder).mkdir(parents=True)
        else:
            shutil.copytree(self.states / previous, self.root / "data", symlinks=True)

    def run(self, stage: str, fault: str | None = None) -> subprocess.CompletedProcess:
        """`kedro run --pipeline=<stage>`; with `fault`, killed at that checkpoint."""
        env = tool_env()
        env["COLUMNS"] = "300"  # rich wraps log lines to the terminal's width
        if fault:
            env["RMFER_FAULT_AT"] = fault
        return subprocess.run(
            ["kedro", "run", f"--pipeline={stage}"],
            cwd=self.root,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )

    def predict(self, out: str, fault: str | None = None) -> subprocess.CompletedProcess:
        """`rmfer predict` of the demo's videos with the IAL model, into `out`."""
        self.expected("ial")  # the model
        env = tool_env()
        if fault:
            env["RMFER_FAULT_AT"] = fault
        command = [
            "rmfer",
            "predict",
            "data/01_raw/demo/videos",
            "--model",
            "data/06_models/ial.pt",
        ]
        return subprocess.run(
            [*command, "--out", out, "--device", "cpu", "--no-progress"],
            cwd=self.root,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )

    def result(self, stage: str) -> dict[str, str]:
        """Digest of every output file of `stage`, run-only fields left out."""
        return outputs_digest(self.root, OUTPUTS[stage])

    def expected(self, stage: str) -> dict[str, str]:
        """The same digest for an uninterrupted run (made on first use, then kept)."""
        saved = self.states / stage
        if not saved.exists():
            self.before(stage)
            ran = self.run(stage)
            assert ran.returncode == 0, ran.stdout + ran.stderr
            shutil.copytree(self.root / "data", saved, symlinks=True)
        return outputs_digest(self.root, OUTPUTS[stage], data=saved)


def _files(root: Path, outputs: list[str], data: Path | None) -> dict[str, Path]:
    found = {}
    for output in outputs:
        path = (data / Path(output).relative_to("data")) if data else root / output
        paths = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        paths = [p for p in paths if not _is_partial(p)]  # temporaries: partial_files
        for file in paths:
            relative = Path(output) / file.relative_to(path) if path.is_dir() else Path(output)
            found[str(relative)] = file
    return found


def _is_partial(path: Path) -> bool:
    return path.name.startswith(".") and path.name.endswith(".partial")


def outputs_digest(root: Path, outputs: list[str], data: Path | None = None) -> dict[str, str]:
    """Relative path -> sha256 of the content; tables and records without run-only fields."""
    return {name: _digest(file) for name, file in _files(root, outputs, data).items()}


def _digest(path: Path) -> str:
    if not path.exists():
        return MISSING
    if path.suffix == ".json":
        data = _without_run_fields(json.loads(path.read_text()))
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
    if path.suffix == ".md":  # report.md: its "Time per stage" table is the run's own timing
        times = path.read_text().partition("## Time per stage")
        text = times[0] + times[1] + _TIME_ROW.sub(r"\1T |", times[2])
        return hashlib.sha256(text.encode()).hexdigest()
    if path.suffix == ".parquet" and "status" in pd.read_parquet(path).columns:  # collect's index
        table = pd.read_parquet(path).replace({"status": _FOUND_DONE})
        return hashlib.sha256(table.to_csv(index=False).encode()).hexdigest()
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _without_run_fields(value):
    if isinstance(value, dict):
        kept = {k: _without_run_fields(v) for k, v in value.items() if k not in _RUN_FIELDS}
        if isinstance(kept.get("status"), str):
            kept["status"] = _FOUND_DONE.get(kept["status"], kept["status"])
        if isinstance(kept.get("done"), int) and isinstance(kept.get("skipped"), int):
            kept["done"], kept["skipped"] = kept["done"] + kept["skipped"], 0  # report's totals
        return kept
    if isinstance(value, list):
        return [_without_run_fields(v) for v in value]
    return value


def partial_files(root: Path) -> list[str]:
    """Hidden temporaries a killed write left behind (never read: no reader globs them)."""
    return sorted(str(p.relative_to(root)) for p in root.rglob(".*.partial"))


def assert_complete_or_absent(root: Path, outputs: list[str]) -> None:
    """Every output file that exists after a kill reads back whole."""
    for name, path in _files(root, outputs, None).items():
        if not path.exists():
            continue
        if path.suffix == ".parquet":
            pd.read_parquet(path)
        elif path.suffix == ".json":
            json.loads(path.read_text())
        elif path.suffix == ".npy":
            import numpy as np

            np.load(path, mmap_mode="r")
        elif path.suffix == ".mp4":
            from rmfer.video.probe import probe_video

            probe_video(path)
        assert path.stat().st_size > 0, name


@pytest.fixture(scope="session")
def bench(tmp_path_factory: pytest.TempPathFactory) -> Bench:
    """A project copy on the tiny demo world; each stage's uninterrupted run made when needed."""
    base = tmp_path_factory.mktemp("faults")
    root = make_project_copy(base)
    shrink_training(root / "conf/base")
    return Bench(root, base / "states")


def shrink_training(conf: Path) -> None:
    """Two epochs of two steps per IAL run (the tiny world has 3 images per class: shuffled
    batches of 8), a few ACL steps, negatives within the tiny world's 2 s videos: training is
    killed and redone many times. The training state is saved after every step, so that a kill
    mid-epoch is resumed mid-epoch."""
    every = {"checkpoint_every_steps": 1}
    two_steps = {"balanced_sampler": False, "batch_size": 8}
    for name, changes in (
        ("ial", {"ial": {"epochs": 2, "warmup_epochs": 0, **two_steps, **every}}),
        ("acl", {"acl": {"epochs": 2, "steps_per_epoch": 2, "distance_s": 1.0, **every}}),
    ):
        path = conf / f"parameters_{name}.yml"
        params = yaml.safe_load(path.read_text())
        for block, values in changes.items():
            params[block].update(values)
        path.write_text(yaml.safe_dump(params, sort_keys=False))
