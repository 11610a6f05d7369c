"""The project as a user meets it: registered pipelines, telemetry off (kedro viz itself runs in
tests/pipelines/test_kedro_viz.py)."""

from __future__ import annotations

from kedro.framework.project import pipelines
from kedro.framework.startup import bootstrap_project

from rmfer.pipeline_registry import STAGES
from tests.conftest import PROJECT_ROOT


def test_all_six_pipelines_are_registered_and_demo_starts_with_synth():
    bootstrap_project(PROJECT_ROOT)
    assert {"synth", *STAGES} <= set(pipelines)
    synth_nodes = {n.name for n in pipelines["synth"].nodes}
    assert synth_nodes <= {n.name for n in pipelines["demo"].nodes}
    assert not synth_nodes & {n.name for n in pipelines["__default__"].nodes}


def test_the_baseline_is_the_ial_training_under_its_namespace():
    bootstrap_project(PROJECT_ROOT)
    nodes = {n.name: n for n in pipelines["ial"].nodes}
    ial, baseline = nodes["train_ial"], nodes["baseline.train_ial"]
    assert baseline.namespace == "baseline" and baseline.func is ial.func
    assert ial.inputs == ["benchmark_index", "params:ial", "params:ial_run"]
    assert baseline.inputs == ["benchmark_index", "params:ial", "params:baseline_run"]
    assert (ial.outputs, baseline.outputs) == (
        ["ial_model", "ial_metrics"],
        ["baseline_model", "baseline_metrics"],
    )


def test_telemetry_is_refused_in_the_project():
    assert (PROJECT_ROOT / ".telemetry").read_text().strip() == "consent: false"
