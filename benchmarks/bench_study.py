"""What does `make study` cost at its default size? One seed of every arm, timed, then scaled.

Generates (or reuses) the study world of conf/base/parameters_study.yml, runs each arm once per
L for one seed into a scratch folder (or the study's own runs folder with --keep, so that
`make study` later resumes from them), and prints each run's seconds and the estimate for the
whole study: world + seeds x the sum over L and arms.
Usage: .venv/bin/python benchmarks/bench_study.py [--labels 10 300] [--arms ial control] [--keep]
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import tempfile
import time
from pathlib import Path

from kedro.config import OmegaConfigLoader

from rmfer.study import StudyParams, load_world, make_world, run_study

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--labels", type=int, nargs="*", help="L values (default: the study's)")
    parser.add_argument("--arms", nargs="*", help="arms (default: the study's)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", action="store_true", help="write into the study's runs folder")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    conf = OmegaConfigLoader(str(ROOT / "conf"), base_env="base", default_run_env="base")
    parameters = conf["parameters"]
    params = StudyParams.from_dict(dict(parameters["study"]))
    started = time.perf_counter()
    manifest = make_world(params.world)
    world_seconds = time.perf_counter() - started
    scratch = Path(tempfile.mkdtemp(prefix="bench_study_"))
    timed = dataclasses.replace(
        params,
        seeds=[args.seed],
        labels_per_class=args.labels or params.labels_per_class,
        arms=args.arms or params.arms,
        runs_dir=params.runs_dir if args.keep else str(scratch / "runs"),
        models_dir=params.models_dir if args.keep else str(scratch / "models"),
    )
    world = load_world(params.world)
    records, trained = run_study(timed, world, parameters["ial"], parameters["acl"])
    print(
        f"world: {manifest['reactors']} reactors, {manifest['rm_faces']} RM faces, "
        f"{world_seconds:.0f} s (0 when reused)"
    )
    wall = cpu = 0.0
    for record in records:
        fresh = "" if record["run_id"] in trained else " (read, not run)"
        print(
            f"  {record['run_id']:<28} {record['seconds']:7.1f} s wall, "
            f"{record.get('cpu_seconds', float('nan')):7.1f} s CPU{fresh}"
        )
        wall += record["seconds"]
        cpu += record.get("cpu_seconds", float("nan"))
    print(f"one seed, {len(records)} runs: {wall / 60:.1f} min wall, {cpu / 60:.1f} min CPU")
    seeds = len(params.seeds)
    scale = len(params.labels_per_class) / len(timed.labels_per_class)
    scale *= len(params.arms) / len(timed.arms)
    print(
        f"estimate for the default study ({seeds} seeds, L {params.labels_per_class}, "
        f"{len(params.arms)} arms), target <= 90 min on 2 cores: "
        f"{(world_seconds + seeds * wall * scale) / 60:.0f} min at this machine's wall times; "
        f"{(world_seconds + seeds * cpu * scale / 2) / 60:.0f} min if 2 free cores ran the "
        "CPU time in parallel"
    )


if __name__ == "__main__":
    main()
