"""`kedro run --pipeline=ial` for real in a project copy, on a tiny benchmark in RAF-DB layout."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import torch

from rmfer.models import load_network
from tests.conftest import run_tool
from tests.data.layouts import write_rafdb

LINES = [f"train_{k:05d}.jpg {1 + k % 7}" for k in range(1, 29)] + [
    f"test_{k:04d}.jpg {1 + k % 7}" for k in range(1, 15)
]


@pytest.mark.slow
def test_kedro_run_ial_writes_index_checkpoint_and_metrics(project_copy):
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
