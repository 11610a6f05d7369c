"""The acl and evaluate pipelines' shape: the mu = 0 control is ACL's training under its own
namespace, and evaluate scores and compares it with the other models (fast: no run)."""

from __future__ import annotations

import pytest
from kedro.framework.project import pipelines
from kedro.framework.startup import bootstrap_project

from rmfer.reporting.schema import MODELS
from tests.conftest import PROJECT_ROOT


@pytest.fixture(scope="module", autouse=True)
def _project() -> None:
    bootstrap_project(PROJECT_ROOT)


def test_the_control_is_the_acl_training_under_its_namespace():
    nodes = {n.name: n for n in pipelines["acl"].nodes}
    assert set(nodes) == {"measure_acl_mining", "train_acl", "control.train_acl"}
    acl, control = nodes["train_acl"], nodes["control.train_acl"]
    assert control.namespace == "control" and control.func is acl.func
    shared = ["face_tracks", "rm_faces", "benchmark_index", "ial_model", "acl_mining_quality"]
    assert acl.inputs == [*shared, "params:acl", "params:acl_run"]
    assert control.inputs == [*shared, "params:acl", "params:control_run"]
    assert (acl.outputs, control.outputs) == (
        ["acl_model", "acl_metrics"],
        ["control_model", "control_metrics"],
    )


def test_evaluate_scores_every_model_and_compares_them_in_the_reports_order():
    assert MODELS == ("baseline", "ial", "control", "acl")
    nodes = {n.name: n for n in pipelines["evaluate"].nodes}
    for name in MODELS:
        assert nodes[f"evaluate_{name}"].inputs == [
            "benchmark_index",
            f"{name}_model",
            "params:evaluate",
        ]
    assert nodes["compare_models"].inputs == [
        *(f"{name}_test_result" for name in MODELS),
        *(f"{name}_metrics" for name in MODELS),
        "facetrack_report",
        "params:evaluate",
    ]
    # the demo chain: the control's model reaches evaluate from the acl stage
    demo = pipelines["demo"]
    assert {"control_model", "control_metrics"} <= demo.all_outputs()
