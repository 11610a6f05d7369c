"""The one fixture of the pipeline tests: a throw-away copy of the project, with a tiny demo
world's parameters, that `kedro run`, `dvc repro` and `kedro viz` run in for real."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
import yaml
from kedro.io.catalog_config_resolver import CatalogConfigResolver

from tests.conftest import PROJECT_ROOT, tiny_synth_params

BIN = Path(sys.executable).parent
_COPIED = (
    "pyproject.toml",
    "dvc.yaml",
    "paper",
    "scripts",
    ".telemetry",
    ".dvcignore",
    ".dvc",
    "conf",
    "src",
)


def tool_env() -> dict[str, str]:
    """The environment for kedro and dvc subprocesses: this venv first, no telemetry."""
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["KEDRO_DISABLE_TELEMETRY"] = "true"
    env.pop("PYTHONPATH", None)
    return env


def run_tool(args: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run a real command-line tool; fail the test with its output when it fails."""
    result = subprocess.run(
        args, cwd=cwd, env=tool_env(), capture_output=True, text=True, timeout=timeout
    )
    if result.returncode != 0:
        pytest.fail(
            f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    return result


def persisted_paths(catalog: dict[str, Any], names: Iterable[str]) -> dict[str, str]:
    """Dataset name -> the file or folder it lives in, for those of `names` that the catalog
    config persists (by an entry of their own or a factory such as `{name}_model`)."""
    resolver = CatalogConfigResolver(catalog)
    paths = {}
    for name in names:
        entry = resolver.resolve_pattern(name)
        if entry.get("filepath") or entry.get("path"):
            paths[name] = entry.get("filepath") or entry.get("path")
    return paths


def make_project_copy(parent: Path) -> Path:
    """A copy of the project (code, conf, DVC) in its own git repo, with a tiny demo world's
    parameters."""
    root = parent / "project"
    root.mkdir()
    for name in _COPIED:
        source = PROJECT_ROOT / name
        if source.is_dir():
            shutil.copytree(
                source, root / name, ignore=shutil.ignore_patterns("__pycache__", "tmp", "cache")
            )
        elif source.exists():
            shutil.copy2(source, root / name)
    for folder in ("data/01_raw", "conf/local"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    params_file = root / "conf/base/parameters_synth.yml"
    text = params_file.read_text()
    params = tiny_synth_params()
    params["videos_dir"] = "${globals:demo_dir}/videos"
    params_file.write_text(yaml.safe_dump({"synth": params}, sort_keys=False))
    assert "${globals:demo_dir}" in text  # the copy keeps the project's single source of paths
    every_image(root / "conf/base/parameters_ial.yml")
    # a repository with a commit, as a user's is (dvclive names its runs after HEAD)
    run_tool(["git", "init", "-q"], root)
    run_tool(["git", "add", "-A"], root)
    identity = ["-c", "user.name=rmfer tests", "-c", "user.email=tests@localhost"]
    run_tool(["git", *identity, "commit", "-q", "-m", "project copy"], root)
    return root


def every_image(path: Path) -> None:
    """No labels-per-class subsample: the tiny world has a few train images per class, fewer
    than the demo's L (and its carved validation split)."""
    params = yaml.safe_load(path.read_text())
    params["subsample"].update(labels_per_class=None, validation_per_class=None)
    path.write_text(yaml.safe_dump(params, sort_keys=False))


@pytest.fixture(scope="module")
def project_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh copy of the project per test module; the tests of one module share it."""
    return make_project_copy(tmp_path_factory.mktemp("copy"))
