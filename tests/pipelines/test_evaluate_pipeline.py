"""The whole chain (`kedro run --pipeline=demo`) at a tiny size in a copy of the project:
every catalog output it writes exists and loads, and report.md's numbers are metrics.json's."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
import torch
import yaml
from kedro.config import OmegaConfigLoader
from kedro.framework.project import pipelines
from kedro.framework.startup import bootstrap_project
from kedro.io import DataCatalog
from PIL import Image

from rmfer.models import load_network
from rmfer.reporting.schema import MODEL_TITLES, Evaluation, Metrics
from tests.pipelines.conftest import persisted_paths, run_tool

TINY = {
    "ial.epochs": 1,
    "ial.image_size": 32,
    "ial.backbone": "test_efficientnet",
    "ial.threads": 2,
    "baseline_run.epochs": 1,
    "acl.epochs": 1,
    "acl.steps_per_epoch": 2,
    "acl.batch_size": 14,
    "acl.anchors_per_batch": 4,
    "acl.positives": 4,
    "acl.negatives": 4,
    "acl.distance_s": 0.8,  # the tiny world's videos last 2 s
    "acl.threads": 2,
    "acl.mining_quality.anchors": 20,
    "evaluate.threads": 2,
}
FIGURES = {"confusion", "attention", "embedding", "per_class_recall", "similarity"}


def _table(report: str, heading: str) -> dict[str, list[str]]:
    """First column -> the other cells, for the table right after `heading`."""
    section = report.split(heading, 1)[1].split("\n\n", 2)
    block = section[1] if section[1].startswith("|") else section[2].split("\n\n")[0]
    rows = [line.strip("|").split("|") for line in block.splitlines()[2:]]
    return {cells[0].strip(): [c.strip() for c in cells[1:]] for cells in rows}


def _shrink(root: Path) -> None:
    """Write TINY into the copy's parameter files, so that kedro and dvc both see it."""
    for dotted, value in TINY.items():
        top, *keys = dotted.split(".")
        pipeline = "ial" if top in ("ial_run", "baseline_run") else top
        path = root / "conf/base" / f"parameters_{pipeline}.yml"
        data = yaml.safe_load(path.read_text())
        node = data[top]
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value
        path.write_text(yaml.safe_dump(data, sort_keys=False))


@pytest.fixture(scope="module")
def chain(project_copy: Path) -> Path:
    _shrink(project_copy)
    # synth first: the ial pipeline reads the benchmark through `benchmark`, a catalog entry of
    # its own, so nothing in the demo DAG orders index_benchmark after the synth nodes that
    # write those files (reported; the registry or the ial pipeline has to link them).
    run_tool(["kedro", "run", "--pipeline=synth"], project_copy, 240)
    run_tool(["kedro", "run", "--pipeline=demo"], project_copy, 420)
    return project_copy


@pytest.mark.slow
def test_every_catalog_output_of_the_chain_exists_and_loads(chain, monkeypatch):
    bootstrap_project(chain)
    monkeypatch.chdir(chain)
    conf = OmegaConfigLoader(str(chain / "conf"), base_env="base", default_run_env="local")
    catalog = DataCatalog.from_config(conf["catalog"])
    written = set().union(*(n.outputs for n in pipelines["demo"].nodes))
    outputs = sorted(persisted_paths(conf["catalog"], written))
    assert {"report", "evaluate_metrics", "baseline_model", "control_model", "acl_model"} <= set(
        outputs
    )
    for name in outputs:
        if name in {"rm_videos", "rm_faces", "evaluate_figures"}:
            continue  # folders of files, checked below; loading them all is pointless
        data = catalog.load(name)
        assert data is not None and len(data) > 0, name

    assert {p.stem for p in (chain / "data/01_raw/rm_videos").glob("*.mp4")} == {
        "demo_000",
        "demo_001",
    }
    assert len(list((chain / "data/03_primary/rm_faces").glob("*.npy"))) == 2
    for name in ("baseline", "ial", "control", "acl"):
        checkpoint = torch.load(chain / f"data/06_models/{name}.pt", weights_only=True)
        assert load_network(checkpoint).config.backbone == "test_efficientnet"
    baseline = json.loads((chain / "data/08_reporting/baseline_metrics.json").read_text())
    assert baseline["lambda_att"] == 0.0 and baseline["seconds"] > 0
    checkpoint = torch.load(chain / "data/06_models/baseline.pt", weights_only=True)
    assert checkpoint["extra"]["stage"] == "baseline"
    assert checkpoint["extra"]["params"]["lambda_att"] == 0.0

    figures = chain / "data/08_reporting/figures"
    assert {p.stem for p in figures.glob("*.png")} == FIGURES
    for png in figures.glob("*.png"):
        assert Image.open(png).size[0] >= 400, png
    for kind in ("confusion", "recall", "embedding"):
        folder = chain / "data/08_reporting/plots" / kind
        assert {p.stem for p in folder.glob("*.csv")} == {"baseline", "ial", "control", "acl"}, kind
    test_images = int(
        (
            pd.read_parquet(chain / "data/02_intermediate/benchmark_index.parquet")["split"]
            == "test"
        ).sum()
    )
    confusion = pd.read_csv(chain / "data/08_reporting/plots/confusion/acl.csv")
    assert list(confusion.columns) == ["actual", "predicted"] and len(confusion) == test_images


@pytest.mark.slow
def test_report_numbers_equal_metrics_json(chain):
    metrics: Metrics = json.loads((chain / "data/08_reporting/metrics.json").read_text())
    evaluation: Evaluation = json.loads((chain / "data/08_reporting/evaluation.json").read_text())
    report = (chain / "data/08_reporting/report.md").read_text()

    comparison = _table(report, "## Comparison on the test split")
    titles = {
        "baseline": "Baseline (CE only)",
        "ial": "IAL",
        "control": "IAL continued (mu = 0)",
        "acl": "IAL + ACL",
    }
    assert titles == MODEL_TITLES
    assert list(comparison) == list(titles.values())  # the control's row, before ACL's
    for name, title in titles.items():
        figures = metrics["models"][name]
        assert figures["trained"]
        cells = comparison[title]
        assert float(cells[2]) == figures["accuracy"], name
        assert float(cells[3]) == figures["mean_class_accuracy"], name
        assert float(cells[4]) == figures["attention_diagonal_mass"], name
        assert float(cells[5]) == figures["similarity_same"], name
        assert float(cells[6]) == figures["similarity_different"], name
        # metrics.json is evaluation.json rounded, and evaluate agrees with the stage's own test
        assert figures["accuracy"] == round(evaluation["models"][name]["accuracy"], 4)
    stage = json.loads((chain / "data/08_reporting/acl_metrics.json").read_text())
    assert evaluation["models"]["acl"]["accuracy"] == pytest.approx(stage["accuracy"])
    recall = _table(report, "### Recall per class")
    for label, cells in recall.items():
        assert [float(c) for c in cells] == [
            metrics["models"][n]["per_class_recall"][label] for n in titles
        ]
    facetrack = _table(report, "Against the demo world's ground truth")
    assert float(facetrack["face precision"][0]) == metrics["facetrack"]["precision"]
    mining = _table(report, "## ACL mining precision")
    assert float(mining["prior"][0]) == metrics["mining"]["positive_precision_prior"]
    assert float(mining["time-only"][2]) == metrics["mining"]["negative_precision_time_only"]
    times = _table(report, "## Time per stage")
    for stage_name, seconds in metrics["seconds"].items():
        assert float(times[stage_name][0]) == seconds
    assert {"facetrack", "ial (baseline)", "acl", "acl (control)", "evaluate"} <= set(
        metrics["seconds"]
    )
    control = json.loads((chain / "data/08_reporting/control_metrics.json").read_text())
    assert evaluation["models"]["control"]["accuracy"] == pytest.approx(control["accuracy"])
    assert evaluation["parameters"]["control"] == {"mu": 0.0}  # what differs from ACL
    assert re.search(r"^ial:\n  seed: 0", report, re.M)  # the run's parameters


@pytest.mark.slow
def test_dvc_finds_the_chain_up_to_date_and_an_acl_change_reruns_acl_and_evaluate(chain):
    run_tool(["dvc", "commit", "--force", "--quiet", "dvc.yaml"], chain)  # lock the demo
    again = run_tool(["dvc", "repro"], chain)
    assert "Running stage" not in again.stdout, again.stdout
    path = chain / "conf/base/parameters_acl.yml"
    params = yaml.safe_load(path.read_text())
    params["acl"]["mu"] = 0.5
    path.write_text(yaml.safe_dump(params, sort_keys=False))
    changed = run_tool(["dvc", "repro"], chain, 420)
    assert set(re.findall(r"Running stage '([^']+)'", changed.stdout)) == {"acl", "evaluate"}
