"""Thin nodes over `rmfer.study`."""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure

from rmfer.study import StudyParams, load_world, make_world, plot_accuracy, render_report, run_study


def make_study_world(study: dict[str, Any]) -> dict[str, Any]:
    """Generate the study world in its own folder (reused when its parameters are unchanged)."""
    return make_world(StudyParams.from_dict(study).world)


def run_study_arms(
    study_world: dict[str, Any],
    study: dict[str, Any],
    ial: dict[str, Any],
    acl: dict[str, Any],
) -> list[dict[str, Any]]:
    """Every arm at every L and seed on the conf/base `ial` and `acl` blocks with the study's
    changes; runs already in study.runs_dir are read, not trained again. `study_world` orders
    this node after the world's."""
    del study_world
    params = StudyParams.from_dict(study)
    records, _ = run_study(params, load_world(params.world), ial, acl)
    return records


def report_study(
    study_runs: list[dict[str, Any]], study_world: dict[str, Any], study: dict[str, Any]
) -> tuple[str, Figure]:
    """data/08_reporting/study/study.md and its plot."""
    params = StudyParams.from_dict(study)
    return render_report(study_runs, params, study_world), plot_accuracy(study_runs, params)
