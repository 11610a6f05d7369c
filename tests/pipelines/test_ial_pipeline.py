"""`kedro run --pipeline=ial` for real in a project copy, on a tiny benchmark in RAF-DB layout."""

from __future__ import annotations

import json
import subprocess

import pandas as pd
import pytest
import torch

from rmfer.models import load_network
from tests.data.layouts import write_rafdb
from tests.pipelines.conftest import run_tool, tool_env

LINES = [f"train_{k:05d}.jpg {1 + k % 7}" for k in range(1, 29)] + [
    f"test_{k:04d}.jpg {1 + k % 7}" for k in range(1, 15)
]


@pytest.mark.slow
def test_kedro_run_ial_writes_index_checkpoints_and_metrics(project_copy):
    write_rafdb(project_copy / "data/01_raw/demo/rafdb/basic", LINES)
    params = "ial.epochs=2,ial.image_size=32,ial.backbone=test_efficientnet,ial.threads=2"
    run_tool(["kedro", "run", "--pipeline=ial", f"--params={params}"], project_copy, timeout=240)

    index = pd.read_parquet(project_copy / "data/02_intermediate/benchmark_index.parquet")
    assert list(index.columns) == ["path", "label", "split", "dataset"]
    assert (index["split"].value_counts().to_dict(), len(index)) == ({"train": 28, "test": 14}, 42)

    checkpoint = torch.load(project_copy / "data/06_models/ial.pt", weights_only=True)
    net = load_network(checkpoint)
    assert net.config.backbone == "test_efficientnet" and net.config.image_size == 32
    assert len(net.config.label_names) == 7 and checkpoint["extra"]["params"]["epochs"] == 2

    metrics = json.loads((project_copy / "data/08_reporting/ial_metrics.json").read_text())
    assert 0 <= metrics["accuracy"] <= 1 and metrics["epochs_run"] == 2
    assert len(metrics["test"]["confusion_matrix"]) == 7
    assert len(metrics["test"]["attention_matrix"]) == 7

    # the CE-only baseline: the same training under the namespace `baseline`, lambda_att = 0
    baseline = torch.load(project_copy / "data/06_models/baseline.pt", weights_only=True)
    assert baseline["extra"]["stage"] == "baseline" and checkpoint["extra"]["stage"] == "ial"
    changed = {
        key: value
        for key, value in baseline["extra"]["params"].items()
        if checkpoint["extra"]["params"][key] != value
    }
    assert changed == {"lambda_att": 0.0}
    metrics = json.loads((project_copy / "data/08_reporting/baseline_metrics.json").read_text())
    assert metrics["lambda_att"] == 0.0 and metrics["epochs_run"] == 2


@pytest.mark.slow
def test_a_switched_off_baseline_leaves_its_marker(project_copy):
    """Runs after the test above, in the same copy: only the baseline's node, switched off."""
    run_tool(
        [
            "kedro",
            "run",
            "--pipeline=ial",
            "--namespaces=baseline",
            "--params=baseline_run.train=false",
        ],
        project_copy,
        timeout=120,
    )
    marker = torch.load(project_copy / "data/06_models/baseline.pt", weights_only=True)
    assert marker == {"format": "rmfer.not_trained.v1", "reason": "baseline_run.train is false"}
    metrics = json.loads((project_copy / "data/08_reporting/baseline_metrics.json").read_text())
    assert metrics == {"trained": False, "reason": "baseline_run.train is false"}


@pytest.mark.slow
def test_subsample_writes_l_per_class_into_benchmark_index_or_names_the_short_class(
    project_copy,
):
    """The index node alone, on the benchmark above (4 train images per class): L = 2 keeps 2
    of each and every test image; L = 5 stops, naming a class."""
    write_rafdb(project_copy / "data/01_raw/demo/rafdb/basic", LINES)
    run = ["kedro", "run", "--pipeline=ial", "--nodes=index_benchmark"]
    run_tool([*run, "--params=subsample.labels_per_class=2"], project_copy, timeout=120)
    index = pd.read_parquet(project_copy / "data/02_intermediate/benchmark_index.parquet")
    train = index[index["split"] == "train"]
    assert train.groupby("label").size().tolist() == [2] * 7
    assert (index["split"] == "test").sum() == 14

    failed = subprocess.run(
        [*run, "--params=subsample.labels_per_class=5"],
        cwd=project_copy,
        env=tool_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = " ".join((failed.stderr + failed.stdout).split())  # rich wraps the message
    assert failed.returncode != 0
    assert "subsample.labels_per_class = 5, but class 0 (Neutral) has only 4 train images" in output
