"""dvc.yaml (the demo) and paper/dvc.yaml (the paper environment) each describe the DAG of their
environment's Kedro catalog (`dvc repro` itself runs in tests/pipelines/test_dvc_repro.py)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from kedro.config import OmegaConfigLoader
from kedro.framework.project import pipelines
from kedro.framework.startup import bootstrap_project

from rmfer.settings import CONFIG_LOADER_ARGS
from tests.conftest import PROJECT_ROOT
from tests.pipelines.conftest import persisted_paths

WRAPPER = PROJECT_ROOT / "scripts/kedro"
# dvc file, Kedro environment, the pipeline whose stages it holds, and how its cmds call kedro
ENVIRONMENTS = {
    "base": ("dvc.yaml", "demo", "scripts/kedro run --pipeline={name}"),
    "paper": ("paper/dvc.yaml", "__default__", "scripts/kedro run --env=paper --pipeline={name}"),
}


@pytest.fixture(scope="module", autouse=True)
def _project() -> None:
    bootstrap_project(PROJECT_ROOT)  # kedro's `pipelines`


def _path(entry: str | dict) -> str:
    return entry if isinstance(entry, str) else next(iter(entry))


@cache
def _config(env: str) -> dict[str, Any]:
    """The environment's catalog and parameters, read as `kedro run --env` reads them."""
    loader = OmegaConfigLoader(
        conf_source=str(PROJECT_ROOT / "conf"), env=env, **CONFIG_LOADER_ARGS
    )
    return {"catalog": loader["catalog"], "parameters": loader["parameters"]}


def _catalog_paths(env: str) -> dict[str, str]:
    """Dataset name -> the file or folder it lives in, for every persisted dataset a pipeline
    reads or writes (factories such as `{name}_model` resolved)."""
    names = set().union(*(pipe.datasets() for pipe in pipelines.values()))
    return persisted_paths(_config(env)["catalog"], names)


def _stages(env: str) -> dict:
    """The dvc file's stages, with its `${benchmark.*}` templating resolved as DVC resolves it
    (vars: conf/paper/globals.yml)."""
    text = (PROJECT_ROOT / ENVIRONMENTS[env][0]).read_text()
    if env == "paper":
        choice = yaml.safe_load((PROJECT_ROOT / "conf/paper/globals.yml").read_text())["benchmark"]
        text = re.sub(r"\$\{benchmark\.(\w+)\}", lambda m: str(choice[m.group(1)]), text)
    assert "${" not in text
    return yaml.safe_load(text)["stages"]


def _stage_pipelines(env: str) -> set[str]:
    """The pipelines the environment's chain is made of: each a DVC stage. The demo's chain is
    `demo` (synth and facetrack_quality included); the paper's is `__default__`. One outside it
    (the study, dozens of trainings) is run by make alone, so that `dvc repro` never starts it."""
    chain = {n.name for n in pipelines[ENVIRONMENTS[env][1]].nodes}
    return {
        name
        for name, pipe in pipelines.items()
        if pipe.nodes
        and name not in ("__default__", "demo")
        and {n.name for n in pipe.nodes} <= chain
    }


def _param_files(stage: dict) -> dict[str, set[str]]:
    return {file: set(keys) for entry in stage["params"] for file, keys in entry.items()}


@pytest.mark.parametrize("env", ["base", "paper"])
def test_every_pipeline_with_nodes_is_a_dvc_stage_matching_the_catalog(env):
    stages = _stages(env)
    built = _stage_pipelines(env)
    catalog_paths = _catalog_paths(env)
    assert set(stages) == built
    for name in built:
        pipe, stage = pipelines[name], stages[name]
        assert stage["cmd"] == ENVIRONMENTS[env][2].format(name=name)
        assert stage.get("wdir", ".") == (".." if env == "paper" else ".")
        # every persisted dataset a node writes, also those a later node of the stage reads
        written = set().union(*(n.outputs for n in pipe.nodes))
        outs = {catalog_paths[d] for d in written if d in catalog_paths}
        declared_outs = stage.get("outs", []) + stage.get("metrics", [])
        assert {_path(o) for o in declared_outs} == outs, name
        deps = {_path(d) for d in stage["deps"]}
        missing = {catalog_paths[d] for d in pipe.inputs() if d in catalog_paths} - deps
        assert not missing, f"stage {name} lacks deps {missing}"
        params = {p[len("params:") :].split(".")[0] for p in pipe.inputs() if "params:" in p}
        files = _param_files(stage)
        base = set().union(*(keys for f, keys in files.items() if f.startswith("conf/base/")))
        assert params <= base, name
        for file in files:
            assert (PROJECT_ROOT / file).exists(), file


def test_the_paper_stages_track_conf_paper_and_the_papers_inputs():
    """Each paper stage is re-run by a change of conf/paper (merged over base), of the benchmark
    choice or of the starting weights, and runs the same code as the demo's stage."""
    stages, demo = _stages("paper"), _stages("base")
    parameters = _config("paper")["parameters"]
    for name, stage in stages.items():
        files = _param_files(stage)
        paper_file = PROJECT_ROOT / f"conf/paper/parameters_{name}.yml"
        if paper_file.exists():
            blocks = set(yaml.safe_load(paper_file.read_text()))
            assert files[f"conf/paper/parameters_{name}.yml"] == blocks, name
        code = {_path(d) for d in stage["deps"] if _path(d).startswith("src/")}
        assert code == {_path(d) for d in demo[name]["deps"] if _path(d).startswith("src/")}, name
    ial_deps = {_path(d) for d in stages["ial"]["deps"]}
    assert parameters["ial"]["pretrained_weights"] in ial_deps
    assert _param_files(stages["ial"])["conf/paper/globals.yml"] == {"benchmark"}
    assert "data/01_raw/rm_sources.csv" in {_path(d) for d in stages["collect"]["deps"]}


@pytest.mark.parametrize("env", ["base", "paper"])
def test_every_source_path_a_stage_depends_on_exists(env):
    """A module moved or renamed without the dvc file would leave a stage blind to its code."""
    for name, stage in _stages(env).items():
        code = [_path(d) for d in stage["deps"] if _path(d).startswith("src/")]
        assert code, name
        for dep in code:
            assert (PROJECT_ROOT / dep).exists(), f"stage {name}: {dep} does not exist"


def _run_wrapper(root: Path, path: str) -> subprocess.CompletedProcess:
    (root / "scripts").mkdir(exist_ok=True)
    shutil.copy2(WRAPPER, root / "scripts/kedro")
    env = {**os.environ, "PATH": path}
    return subprocess.run(
        ["sh", str(root / "scripts/kedro"), "--version"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_stage_commands_find_kedro_without_an_active_venv(tmp_path):
    """A fresh shell: no venv on PATH. The wrapper runs .venv/bin/kedro when there is one."""
    assert os.access(WRAPPER, os.X_OK)
    fake = tmp_path / ".venv/bin/kedro"
    fake.parent.mkdir(parents=True)
    fake.write_text('#!/bin/sh\necho "venv kedro $*"\n')
    fake.chmod(0o755)
    result = _run_wrapper(tmp_path, "/usr/bin:/bin")
    assert result.returncode == 0 and result.stdout.strip() == "venv kedro --version"


def test_without_kedro_the_stage_commands_say_how_to_get_it(tmp_path):
    result = _run_wrapper(tmp_path, "/usr/bin:/bin")
    assert result.returncode != 0
    assert "run `make setup` or activate the venv (source .venv/bin/activate)" in result.stderr
