"""Shared fixtures: a tiny demo world, and a throw-away copy of the project to run tools in."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
_COPIED = ("pyproject.toml", "dvc.yaml", ".telemetry", ".dvcignore", ".dvc", "conf", "src")


def tiny_synth_params(**videos: Any) -> dict[str, Any]:
    """The project's synth parameters, shrunk so a world renders in seconds."""
    params = yaml.safe_load((PROJECT_ROOT / "conf/base/parameters_synth.yml").read_text())["synth"]
    params["workers"] = 1
    params["benchmark"].update(
        identities_train=4, identities_test=2, per_class_train=3, per_class_test=2
    )
    params["videos"].update({"count": 2, "duration_s": 2.0, "fps": 5, **videos})
    return params


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


def make_project_copy(parent: Path) -> Path:
    """A copy of the project (code, conf, DVC) in its own git repo, with a tiny demo world."""
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
    run_tool(["git", "init", "-q"], root)
    return root


@pytest.fixture(scope="module")
def project_copy_module(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`project_copy`, shared by the tests of one module."""
    return make_project_copy(tmp_path_factory.mktemp("copy"))


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """A fresh copy of the project for one test."""
    return make_project_copy(tmp_path)


# One small, easy demo benchmark and the IAL net trained on it (session-scoped: training it
# takes most of a minute on two cores), shared by the IAL, ACL-mining and predict tests.


def small_ial_params(**overrides: Any) -> Any:
    """The demo's IAL parameters (an IalParams), shrunk for a tiny timm backbone that learns in
    seconds."""
    from rmfer.training import IalParams  # torch only for the tests that train

    params = yaml.safe_load((PROJECT_ROOT / "conf/base/parameters_ial.yml").read_text())["ial"]
    params.update(
        backbone="test_efficientnet",
        image_size=48,
        threads=1,
        epochs=20,
        batch_size=35,
        lr=0.003,
        lambda_att=1.0,  # the margins of the IAL, mining and predict tests were measured with
        tau=0.1,  # these two; the demo's own defaults may move without moving them
        augmentation={
            "flip": 0.5,
            "crop_scale_min": 0.8,
            "brightness": 0,
            "contrast": 0,
            "saturation": 0,
        },  # colour jitter off: it is slow and not needed here
    )
    params.update(overrides)
    return IalParams.from_dict(params)


@pytest.fixture(scope="session")
def easy_world(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The demo generator's benchmark, shrunk (60 faces per class) and made easier (no label
    noise, no aligner jitter), indexed by the RAF-DB reader."""
    from tests.training.worlds import render_small_benchmark

    root = tmp_path_factory.mktemp("easy_world") / "basic"
    return render_small_benchmark(
        root, identities_train=40, identities_test=12, per_class_train=60, per_class_test=20,
        annotation_noise=0.0, align_jitter=0.0,
    )  # fmt: skip


@pytest.fixture(scope="session")
def easy_ial(easy_world: Any) -> Any:
    """An IalResult: ~0.5 test accuracy (chance 0.14), same-label similarity well above
    different-label similarity (tests/training/test_ial_demo.py)."""
    from rmfer.training import train_ial

    return train_ial(easy_world, small_ial_params(), progress=False)
