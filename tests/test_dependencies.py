"""Dependencies: ranges in pyproject.toml (users pick their CUDA build), pins in constraints."""

from __future__ import annotations

import tomllib
from importlib.metadata import version

from packaging.requirements import Requirement

from tests.conf import PROJECT_ROOT


def _requirements() -> dict[str, Requirement]:
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    return {Requirement(r).name: Requirement(r) for r in project["dependencies"]}


def _constraints() -> dict[str, str]:
    pins = {}
    for line in (PROJECT_ROOT / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, pinned = line.partition("==")
            pins[name.lower()] = pinned
    return pins


def test_torch_is_a_range_not_a_pin() -> None:
    requirements = _requirements()
    for name in ("torch", "torchvision"):
        specifiers = {s.operator for s in requirements[name].specifier}
        assert "==" not in specifiers and ">=" in specifiers, requirements[name]


def test_constraints_pin_what_pyproject_admits_and_what_is_installed() -> None:
    pins, requirements = _constraints(), _requirements()
    for name in (
        "torch",
        "torchvision",
        "timm",
        "kedro",
        "dvc",
        "dask",
        "dvclive",
        "lightly",
        "onnx",
    ):
        assert name in pins, f"constraints.txt does not pin {name}"
        assert requirements[name].specifier.contains(pins[name]), (name, pins[name])
        assert version(name) == pins[name], f"{name}: installed {version(name)}"


def test_no_machine_specific_mirror_is_named() -> None:
    text = (PROJECT_ROOT / "pyproject.toml").read_text()
    assert "mirror" not in text and "file://" not in text and "findings.md" not in text
