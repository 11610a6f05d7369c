"""The study's runs: each arm at each L and seed, paired on one IAL checkpoint per (L, seed).

A run is finished when its JSON exists in `runs_dir` (written atomically): a killed study, run
again, reads those and trains only the others. The IAL checkpoints are cached in `models_dir`
under a name that holds a hash of the IAL parameters they were trained with, so the acl arms of a
resumed study start from exactly the weights the finished ones did.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from joblib import Parallel, delayed

from rmfer.files import replace_atomically, write_atomically
from rmfer.models.checkpoint import load_network, read_checkpoint
from rmfer.study.measure import run_figures
from rmfer.study.params import StudyParams, choices, merge
from rmfer.study.world import StudyWorld, labeled_subset, load_world
from rmfer.training.acl import AclParams, train_acl
from rmfer.training.ial.params import IalParams
from rmfer.training.ial.train import train_ial

logger = logging.getLogger(__name__)

# Each key the study sets itself in every ial/acl block, when the block has it: no live logging
# per run (the run JSON is the record), no progress bars, no training-state file (the study
# resumes by whole runs; its runs would share the pipeline's <state_dir>/<run>_state.pt).
QUIET = {"live_dir": None, "progress": False, "state_dir": None}


@dataclass(frozen=True)
class RunSpec:
    arm: str
    labels: int  # L, labelled images per class
    seed: int
    choice: dict[str, Any]  # the point of the arm's `choose` grid ({} without one)

    @property
    def run_id(self) -> str:
        tag = "".join(f"_{k}={v}" for k, v in sorted(self.choice.items()))
        return f"{self.arm}{tag}_L{self.labels}_s{self.seed}"


def plan_runs(params: StudyParams) -> list[RunSpec]:
    """Every run, grouped by (L, seed) so each IAL checkpoint is trained once and then reused."""
    return [
        RunSpec(arm, labels, seed, choice)
        for labels in params.labels_per_class
        for seed in params.seeds
        for arm in params.arms
        for choice in choices(params, arm)
    ]


def _quiet(block: dict[str, Any]) -> dict[str, Any]:
    return {**block, **{k: v for k, v in QUIET.items() if k in block}}


def _per_class(block: dict[str, Any], labels: int, classes: int) -> int | None:
    """A balanced batch never holds an image twice: at most L of each class."""
    if not block["balanced_sampler"]:
        return block["samples_per_class"]
    wanted = block["samples_per_class"] or max(2, block["batch_size"] // classes)
    return min(wanted, labels)


def ial_block(
    params: StudyParams, base: dict[str, Any], spec: RunSpec, changes: dict[str, Any], classes: int
) -> dict[str, Any]:
    """conf/base `ial` with the study's and the arm's changes, sized to the run's L."""
    block = merge(merge(base, params.ial, "study.ial"), changes, f"study.arm ({spec.arm})")
    per_class = _per_class(block, spec.labels, classes)
    steps_per_epoch = max(1, (spec.labels * classes) // ((per_class or 1) * classes))
    epochs = min(params.max_ial_epochs, math.ceil(params.ial_steps / steps_per_epoch))
    return _quiet(
        {
            **block,
            "seed": spec.seed,
            "epochs": epochs,
            "samples_per_class": per_class,
            "validation_split": "validation",
        }
    )


def acl_block(
    params: StudyParams,
    base: dict[str, Any],
    spec: RunSpec,
    changes: dict[str, Any],
    classes: int,
    world: StudyWorld,
) -> dict[str, Any]:
    """conf/base `acl` with the study's and the arm's changes, on the study world's faces (and
    its sidecars, which only oracle pairing reads)."""
    block = merge(merge(base, params.acl, "study.acl"), changes, f"study.arm ({spec.arm})")
    return _quiet(
        {
            **block,
            "seed": spec.seed,
            "faces_dir": world.faces_dir,
            "samples_per_class": _per_class(block, spec.labels, classes),
            "validation_split": "validation",
            "mining_quality": {**block["mining_quality"], "truth_dir": world.truth_dir},
        }
    )


def _hash(block: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(block, sort_keys=True).encode()).hexdigest()[:10]


class IalCheckpoints:
    """IAL checkpoints by (L, seed, parameters), trained on first use and cached on disk."""

    def __init__(self, folder: str | Path, fingerprint: str) -> None:
        self.folder, self.fingerprint = Path(folder), fingerprint
        self.trained: list[str] = []  # names trained by this process (the rest were cached)

    def get(self, index: pd.DataFrame, block: dict[str, Any], labels: int) -> dict[str, Any]:
        key = _hash({**block, "world": self.fingerprint})
        path = self.folder / f"ial_L{labels}_s{block['seed']}_{key}.pt"
        if path.is_file():
            return read_checkpoint(path)
        started = time.perf_counter()
        result = train_ial(index, IalParams.from_dict(block), progress=False)
        checkpoint = result.checkpoint
        checkpoint["extra"] = {
            **checkpoint["extra"],
            "study_seconds": round(time.perf_counter() - started, 1),
        }
        self.folder.mkdir(parents=True, exist_ok=True)
        replace_atomically(path, lambda partial: torch.save(checkpoint, partial))
        self.trained.append(path.name)
        return checkpoint


@dataclass(frozen=True)
class RunSetup:
    """What one run trains with: its stage's block and the shared IAL block it starts from."""

    stage: str
    block: dict[str, Any]
    shared_ial: dict[str, Any]
    key: str  # a hash of both and the world: a run JSON with another key is stale


def run_setup(
    spec: RunSpec,
    params: StudyParams,
    world: StudyWorld,
    base_ial: dict[str, Any],
    base_acl: dict[str, Any],
) -> RunSetup:
    classes = int(world.benchmark["label"].nunique())
    arm = params.arm_settings[spec.arm]
    changes = {**arm.changes, **spec.choice}
    shared = ial_block(params, base_ial, spec, {}, classes)
    if arm.stage == "ial":
        block = ial_block(params, base_ial, spec, changes, classes)
    else:
        block = acl_block(params, base_acl, spec, changes, classes, world)
    key = _hash({"block": block, "shared": shared, "world": world.manifest["fingerprint"]})
    return RunSetup(arm.stage, block, shared, key)


def run_one(
    spec: RunSpec,
    setup: RunSetup,
    params: StudyParams,
    world: StudyWorld,
    checkpoints: IalCheckpoints,
) -> dict[str, Any]:
    """Train (or take from the cache) one arm's net and measure it: the run's record."""
    started, cpu_started = time.perf_counter(), time.process_time()
    index = labeled_subset(world.benchmark, spec.labels, spec.seed)
    if setup.stage == "ial":
        checkpoint = checkpoints.get(index, setup.block, spec.labels)
        net, extra = load_network(checkpoint), checkpoint["extra"]
        about = {"best_epoch": extra["best_epoch"], "ial_seconds": extra.get("study_seconds")}
    else:
        checkpoint = checkpoints.get(index, setup.shared_ial, spec.labels)
        params_acl = AclParams.from_dict(setup.block)
        result = train_acl(world.face_tracks, index, checkpoint, params_acl)
        net = result.net
        about = {
            "best_epoch": result.metrics["best_epoch"],
            "acl_seconds": result.metrics["seconds"],
        }
    record = {
        "run_id": spec.run_id,
        "key": setup.key,
        "arm": spec.arm,
        "stage": setup.stage,
        "labels_per_class": spec.labels,
        "seed": spec.seed,
        "choice": spec.choice,
        **about,
        **run_figures(net, world, params.feature_faces),
        "params": setup.block,
    }
    record["seconds"] = round(time.perf_counter() - started, 1)
    # CPU time of all the process's threads: on a shared machine, what the run itself cost
    record["cpu_seconds"] = round(time.process_time() - cpu_started, 1)
    return record


def finished(path: Path, key: str) -> dict[str, Any] | None:
    """The run's record when its JSON exists for the same setup; None when it must (re)run."""
    if not path.is_file():
        return None
    record = json.loads(path.read_text())
    if record.get("key") == key:
        return record
    logger.warning("Study: %s was run with other parameters; running it again", path.name)
    return None


def _run_group(
    specs: list[RunSpec],
    params: StudyParams,
    world: StudyWorld,
    base_ial: dict[str, Any],
    base_acl: dict[str, Any],
) -> list[tuple[dict[str, Any], bool]]:
    """The runs of one (L, seed), in order: (record, trained by this call). Each finished run is
    written at once, so a killed study loses at most the run in progress."""
    folder = Path(params.runs_dir)
    checkpoints = IalCheckpoints(params.models_dir, world.manifest["fingerprint"])
    results = []
    for spec in specs:
        path = folder / f"{spec.run_id}.json"
        setup = run_setup(spec, params, world, base_ial, base_acl)
        record = finished(path, setup.key)
        if record is not None:
            results.append((record, False))
            continue
        logger.info("Study run %s", spec.run_id)
        record = run_one(spec, setup, params, world, checkpoints)
        folder.mkdir(parents=True, exist_ok=True)  # again: a run takes minutes
        write_atomically(path, json.dumps(record, indent=1, default=str))
        results.append((record, True))
        logger.info(
            "Study run %s: test %s %.3f in %.0f s",
            spec.run_id,
            params.metric,
            record["test"][params.metric],
            record["seconds"],
        )
    return results


def _run_group_in_worker(
    specs: list[RunSpec],
    params: StudyParams,
    base_ial: dict[str, Any],
    base_acl: dict[str, Any],
    threads: int,
) -> list[tuple[dict[str, Any], bool]]:
    """`_run_group` in a worker process: its own share of the cores and its own copy of the
    world's tables."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    torch.set_num_threads(threads)
    return _run_group(specs, params, load_world(params.world), base_ial, base_acl)


def _groups(plan: list[RunSpec]) -> list[list[RunSpec]]:
    """The plan cut into its (L, seed) groups: the runs that share one IAL checkpoint."""
    groups: dict[tuple[int, int], list[RunSpec]] = {}
    for spec in plan:
        groups.setdefault((spec.labels, spec.seed), []).append(spec)
    return list(groups.values())


def run_study(
    params: StudyParams, world: StudyWorld, base_ial: dict[str, Any], base_acl: dict[str, Any]
) -> tuple[list[dict[str, Any]], list[str]]:
    """Every planned run's record, and the ids of those this call trained (the rest were read).

    With `study.workers` > 1 the (L, seed) groups run in that many processes, each with an equal
    share of the cores: small nets at 48 px use one core better than two threads share it."""
    Path(params.runs_dir).mkdir(parents=True, exist_ok=True)
    groups = _groups(plan_runs(params))
    if params.workers == 1:
        results = [r for g in groups for r in _run_group(g, params, world, base_ial, base_acl)]
    else:
        threads = max(1, (os.cpu_count() or 1) // params.workers)
        jobs = Parallel(n_jobs=params.workers)(
            delayed(_run_group_in_worker)(g, params, base_ial, base_acl, threads) for g in groups
        )
        results = [r for group in jobs for r in group]
    records = [record for record, _ in results]
    trained = [record["run_id"] for record, fresh in results if fresh]
    return records, trained
