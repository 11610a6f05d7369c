"""dvc.yaml and the Kedro catalog describe one DAG; `dvc repro` really reproduces it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from kedro.config import OmegaConfigLoader
from kedro.framework.project import pipelines
from kedro.framework.startup import bootstrap_project

from tests.conftest import PROJECT_ROOT, run_tool


def _path(entry: str | dict) -> str:
    return entry if isinstance(entry, str) else next(iter(entry))


@pytest.fixture(scope="module")
def catalog_paths() -> dict[str, str]:
    """Dataset name -> the file or folder it lives in, for every persisted dataset."""
    bootstrap_project(PROJECT_ROOT)
    loader = OmegaConfigLoader(
        conf_source=str(PROJECT_ROOT / "conf"), base_env="base", default_run_env="local"
    )
    catalog = loader["catalog"]
    return {
        name: entry.get("filepath") or entry.get("path")
        for name, entry in catalog.items()
        if not name.startswith("_") and (entry.get("filepath") or entry.get("path"))
    }


def test_every_pipeline_with_nodes_is_a_dvc_stage_matching_the_catalog(catalog_paths):
    stages = yaml.safe_load((PROJECT_ROOT / "dvc.yaml").read_text())["stages"]
    built = {
        name
        for name, pipe in pipelines.items()
        if pipe.nodes and name not in ("__default__", "demo")
    }
    assert set(stages) == built
    for name in built:
        pipe, stage = pipelines[name], stages[name]
        assert stage["cmd"] == f"kedro run --pipeline={name}"
        # every persisted dataset a node writes, also those a later node of the stage reads
        written = set().union(*(n.outputs for n in pipe.nodes))
        outs = {catalog_paths[d] for d in written if d in catalog_paths}
        declared_outs = stage.get("outs", []) + stage.get("metrics", [])
        assert {_path(o) for o in declared_outs} == outs, name
        deps = {_path(d) for d in stage["deps"]}
        missing = {catalog_paths[d] for d in pipe.inputs() if d in catalog_paths} - deps
        assert not missing, f"stage {name} lacks deps {missing}"
        params = [p[len("params:") :] for p in pipe.inputs() if p.startswith("params:")]
        declared = {key for entry in stage["params"] for keys in entry.values() for key in keys}
        assert {p.split(".")[0] for p in params} <= declared
        for entry in stage["params"]:
            assert Path(PROJECT_ROOT / next(iter(entry))).exists()


@pytest.mark.slow
def test_dvc_repro_synth_then_nothing_to_do(project_copy):
    run_tool(["dvc", "repro", "synth"], project_copy)
    assert (project_copy / "data/01_raw/demo/rm_sources.csv").exists()
    assert (project_copy / "dvc.lock").exists()
    second = run_tool(["dvc", "repro", "synth"], project_copy)
    assert "didn't change, skipping" in second.stdout or "up to date" in second.stdout
    assert "Running stage 'synth'" not in second.stdout
