"""`kedro viz build` in a copy of the project: every pipeline with its nodes and datasets."""

from __future__ import annotations

import json

import pytest

from rmfer.pipeline_registry import STAGES
from tests.pipelines.conftest import run_tool


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
    # the baseline is drawn as the ial training, collapsed under its namespace
    ial = json.loads((build / "api/pipelines/ial").read_text())
    assert "baseline" in ial["modular_pipelines"]
    assert {"baseline_model", "baseline_metrics"} <= {node["name"] for node in ial["nodes"]}
