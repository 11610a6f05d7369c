"""Resume after a crash: a run killed with SIGKILL mid-epoch and run again ends with the very
weights and metrics of an uninterrupted run (CPU); a state from other parameters is not resumed.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import pickle
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from rmfer.faults import VARIABLE
from rmfer.training import IalParams, train_ial
from rmfer.training.acl import train_acl
from tests.conf import base_parameters
from tests.conftest import PROJECT_ROOT
from tests.training.acl.test_train import acl_params, ial_checkpoint, write_index, write_videos

# With a state saved after every step, 3 steps per epoch: the 2nd save is epoch 1 after step 2
# of 3 (its last step saves at the epoch's end), so the killed run is resumed mid-epoch.
KILL_AT = "training_state_saved:2"
RESUMING = ": resuming from the training state"


def ial_params(state_dir: Path, **overrides) -> IalParams:
    """Tiny IAL that exercises the less simple state: SAM around Adam, the shuffled sampler."""
    params = base_parameters(
        "ial",
        backbone="test_efficientnet",
        image_size=16,
        threads=1,
        epochs=2,
        batch_size=12,
        balanced_sampler=False,
        optimiser="sam",
        live_dir=None,
        state_dir=str(state_dir),
        checkpoint_every_steps=1,
    )
    params.update(overrides)
    return IalParams.from_dict(params)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("resume_world")
    index = write_index(root / "images", {"train": 42, "test": 14})
    tracks = write_videos(root / "faces", {"a": (3, 8.0), "b": (2, 8.0)})
    return root, index, tracks


def run_killed(tmp_path: Path, job: dict) -> subprocess.CompletedProcess:
    """The job in a subprocess, killed at `KILL_AT`."""
    job_path = tmp_path / "job.pkl"
    job_path.write_bytes(pickle.dumps(job))
    env = {**os.environ, VARIABLE: KILL_AT}
    return subprocess.run(
        [sys.executable, "-m", "tests.training.resume_child", str(job_path)],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def assert_same_run(resumed, whole) -> None:
    for name, tensor in whole.checkpoint["state_dict"].items():
        assert torch.equal(tensor, resumed.checkpoint["state_dict"][name]), name

    def record(metrics: dict) -> str:  # JSON: NaN (an empty class) equals NaN
        return json.dumps({k: v for k, v in metrics.items() if k != "seconds"}, sort_keys=True)

    assert record(resumed.metrics) == record(whole.metrics)


def test_ial_killed_mid_epoch_resumes_to_the_same_weights(world, tmp_path, caplog):
    _, index, _ = world
    whole = train_ial(index, ial_params(tmp_path / "whole"), progress=False)
    assert not (tmp_path / "whole/ial_state.pt").exists(), "a completed run removes its state"

    params = ial_params(tmp_path / "run")
    killed = run_killed(tmp_path, {"stage": "ial", "index": index, "params": params})
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    state = tmp_path / "run/ial_state.pt"
    saved = torch.load(state, weights_only=True)  # plain values and tensors only
    assert saved["format"] == "rmfer.training_state.v1"
    shutil.copy(state, tmp_path / "other_state.pt")

    with caplog.at_level(logging.INFO):
        resumed = train_ial(index, params, progress=False)
    assert f"ial{RESUMING} {state} at epoch 1, step 2" in caplog.text
    assert_same_run(resumed, whole)
    assert not state.exists()

    # The same state under parameters that differ: not resumed, and the log says why.
    (tmp_path / "other").mkdir()
    shutil.copy(tmp_path / "other_state.pt", tmp_path / "other/ial_state.pt")
    caplog.clear()
    with caplog.at_level(logging.INFO):
        train_ial(index, ial_params(tmp_path / "other", lr=0.001, epochs=1), progress=False)
    assert RESUMING not in caplog.text
    assert "not resuming from the training state" in caplog.text
    assert "(parameter epochs, parameter lr differ); starting afresh" in caplog.text

    # resume: never starts afresh from a state that would match.
    (tmp_path / "never").mkdir()
    shutil.copy(tmp_path / "other_state.pt", tmp_path / "never/ial_state.pt")
    caplog.clear()
    with caplog.at_level(logging.INFO):
        train_ial(index, ial_params(tmp_path / "never", resume="never"), progress=False)
    assert RESUMING not in caplog.text and "resume is never: starting afresh" in caplog.text


@pytest.mark.parametrize("refresh", [2, None], ids=["periodic_cache", "memory_bank"])
def test_acl_killed_mid_epoch_resumes_to_the_same_weights(world, tmp_path, caplog, refresh):
    root, index, tracks = world
    base = acl_params(
        root / "faces",
        steps_per_epoch=3,
        embedding_refresh_steps=refresh,  # the prior's cache (or bank) is part of the state
        candidate_gradient=refresh is not None,  # the bank: anchors train, their z kept
        threads=1,
        checkpoint_every_steps=1,
    )

    def params(folder: str):
        return dataclasses.replace(base, state_dir=str(tmp_path / folder))

    whole = train_acl(tracks, index, ial_checkpoint(), params("whole"))
    job = {
        "stage": "acl",
        "face_tracks": tracks,
        "index": index,
        "ial_checkpoint": ial_checkpoint(),
        "params": params("run"),
    }
    killed = run_killed(tmp_path, job)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    state = tmp_path / "run/acl_state.pt"
    (tmp_path / "other").mkdir()
    shutil.copy(state, tmp_path / "other/acl_state.pt")

    with caplog.at_level(logging.INFO):
        resumed = train_acl(tracks, index, ial_checkpoint(), params("run"))
    assert f"acl{RESUMING} {state} at epoch 1, step 2" in caplog.text
    assert_same_run(resumed, whole)

    # Another IAL checkpoint to start from: an input differs, the state is not resumed.
    caplog.clear()
    other = ial_checkpoint()
    other["state_dict"] = {
        k: v + 1 if v.is_floating_point() else v for k, v in other["state_dict"].items()
    }
    with caplog.at_level(logging.INFO):
        train_acl(tracks, index, other, dataclasses.replace(params("other"), epochs=1))
    assert RESUMING not in caplog.text
    assert "(input ial_model, parameter epochs differ); starting afresh" in caplog.text
