"""`dvc repro` in a copy of the project: the demo's stages run once, then DVC finds them up to
date, also from a shell where the venv is not active; the paper's pipeline re-runs only what a
change of conf/paper touches, and leaves the demo's record alone."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.pipelines.conftest import BIN, run_tool

PAPER = "paper/dvc.yaml"


def _run_in_fresh_shell(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """As from a new terminal: no venv on PATH, none activated (dvc itself called by path)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")
    }
    env.update(PATH="/usr/bin:/bin", KEDRO_DISABLE_TELEMETRY="true")
    result = subprocess.run(
        [str(BIN / args[0]), *args[1:]],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0:
        pytest.fail(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def _ran(output: str) -> set[str]:
    return {name.split(":")[-1] for name in re.findall(r"Running stage '([^']+)'", output)}


@pytest.mark.slow
def test_dvc_repro_from_a_fresh_shell_records_the_demo_then_has_nothing_to_do(project_copy):
    """`make run` is `dvc repro`: synth and collect here (the full chain in
    test_evaluate_pipeline.py). The stage commands find the project's .venv themselves."""
    (project_copy / ".venv").symlink_to(BIN.parent, target_is_directory=True)
    first = _run_in_fresh_shell(["dvc", "repro", "collect"], project_copy)
    assert _ran(first.stdout) == {"synth", "collect"}, first.stdout
    assert (project_copy / "data/01_raw/demo/rm_sources.csv").exists()
    assert set(yaml.safe_load((project_copy / "dvc.lock").read_text())["stages"]) == {
        "synth",
        "collect",
    }
    second = _run_in_fresh_shell(["dvc", "repro", "collect"], project_copy)
    assert not _ran(second.stdout), second.stdout
    status = _run_in_fresh_shell(["dvc", "status", "collect"], project_copy)
    assert "up to date" in status.stdout, status.stdout


def _changed(status: str) -> set[str]:
    """The stages `dvc status` lists (lines `paper/dvc.yaml:<stage>:`)."""
    return {line.rstrip(":").split(":")[-1] for line in re.findall(r"^\S+:$", status, re.M)}


def _placeholders(root: Path) -> None:
    """Stand-ins for the paper's inputs and every output of paper/dvc.yaml, so that DVC can
    record a paper dvc.lock (`dvc commit`) without a real benchmark, real videos or training."""
    for dep in ("data/01_raw/rm_sources.csv", "data/01_raw/weights/enet_b2_8.pt"):
        (root / dep).parent.mkdir(parents=True, exist_ok=True)
        (root / dep).write_text("placeholder\n")
    labels = root / "data/01_raw/rafdb/basic/EmoLabel/list_patition_label.txt"
    labels.parent.mkdir(parents=True)
    labels.write_text("train_00001.jpg 4\n")
    stages = yaml.safe_load((root / PAPER).read_text())["stages"]
    for stage in stages.values():
        for entry in stage.get("outs", []) + stage.get("metrics", []):
            path = root / (entry if isinstance(entry, str) else next(iter(entry)))
            if path.suffix:  # a file
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(f"placeholder {path.name}\n")
            else:  # a folder
                path.mkdir(parents=True, exist_ok=True)
                (path / "placeholder.txt").write_text("placeholder\n")


@pytest.mark.slow
def test_a_paper_acl_change_reruns_acl_and_evaluate_and_leaves_the_demo_alone(project_copy):
    if not (project_copy / "dvc.lock").exists():
        run_tool(["dvc", "repro", "synth"], project_copy)  # a demo record to leave alone
    demo_lock = (project_copy / "dvc.lock").read_bytes()
    _placeholders(project_copy)
    run_tool(["dvc", "commit", "--force", "--quiet", PAPER], project_copy)
    assert (project_copy / "paper/dvc.lock").exists()
    clean = run_tool(["dvc", "status", PAPER], project_copy)
    assert "up to date" in clean.stdout, clean.stdout

    path = project_copy / "conf/paper/parameters_acl.yml"
    params = yaml.safe_load(path.read_text())
    params["acl"]["rho"] = 0.15
    path.write_text(yaml.safe_dump(params, sort_keys=False))

    status = run_tool(["dvc", "status", PAPER], project_copy)
    assert _changed(status.stdout) == {"acl"}, status.stdout
    assert "conf/paper/parameters_acl.yml" in status.stdout
    # What `dvc repro` would run. A dry run cannot see that acl's model will change, so
    # --force-downstream stands for it: evaluate, below acl, runs too; nothing upstream does.
    dry = run_tool(["dvc", "repro", "--dry", "--force-downstream", PAPER], project_copy)
    assert _ran(dry.stdout) == {"acl", "evaluate"}, dry.stdout

    # The benchmark choice is a parameter too (`dvc exp run -S conf/paper/globals.yml:...`)
    path = project_copy / "conf/paper/globals.yml"
    choice = yaml.safe_load(path.read_text())
    choice["benchmark"]["num_classes"] = 7
    path.write_text(yaml.safe_dump(choice, sort_keys=False))
    status = run_tool(["dvc", "status", PAPER], project_copy)
    assert _changed(status.stdout) == {"ial", "acl"}, status.stdout
    assert (project_copy / "dvc.lock").read_bytes() == demo_lock
