"""The project as a user meets it: registered pipelines, telemetry off, kedro viz."""

from __future__ import annotations

import json

import pytest
from kedro.framework.project import pipelines
from kedro.framework.startup import bootstrap_project

from rmfer.pipeline_registry import STAGES
from tests.conftest import PROJECT_ROOT, run_tool


def test_all_six_pipelines_are_registered_and_demo_starts_with_synth():
    bootstrap_project(PROJECT_ROOT)
    assert {"synth", *STAGES} <= set(pipelines)
    synth_nodes = {n.name for n in pipelines["synth"].nodes}
    assert synth_nodes <= {n.name for n in pipelines["demo"].nodes}
    assert not synth_nodes & {n.name for n in pipelines["__default__"].nodes}


def test_telemetry_is_refused_in_the_project():
    assert (PROJECT_ROOT / ".telemetry").read_text().strip() == "consent: false"


@pytest.mark.slow
def test_kedro_viz_build_shows_the_pipelines(project_copy):
    run_tool(["kedro", "viz", "build"], project_copy)
    build = project_copy / "build"
    assert (build / "index.html").exists()
    main = json.loads((build / "api/main").read_text())
    assert {p["id"] for p in main["pipelines"]} >= {"synth", "demo", *STAGES}
    synth = json.loads((build / "api/pipelines/synth").read_text())
    names = {node["name"] for node in synth["nodes"]}
    assert {"plan_demo_world", "render_demo_videos", "rm_sources", "demo_videos"} <= names
    for name in ("synth", *STAGES):  # all six pipelines, each with its nodes and datasets
        built = json.loads((build / f"api/pipelines/{name}").read_text())
        assert {"task", "data"} <= {node["type"] for node in built["nodes"]}, name
    evaluate = json.loads((build / "api/pipelines/evaluate").read_text())
    names = {node["name"] for node in evaluate["nodes"]}
    assert {"compare_models", "write_report", "acl_model", "report", "evaluate_metrics"} <= names
