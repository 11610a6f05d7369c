"""ACL's training runs: the run blocks, the mu = 0 control and the "not trained" marker."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import torch

from rmfer.errors import ParameterError
from rmfer.training.acl import train_acl
from rmfer.training.acl.params import AclParams
from rmfer.training.acl.runs import AclRunParams, run_acl_params, train_acl_run
from tests.conf import base_parameters
from tests.training.acl.test_train import acl_params, ial_checkpoint, write_index, write_videos


def test_the_projects_run_blocks_are_valid_and_the_control_turns_l_acl_off():
    acl = base_parameters("acl")
    run = AclRunParams.from_dict(base_parameters("acl_run"))
    control = AclRunParams.from_dict(base_parameters("control_run"))
    assert (run.stage, run.train, run.mu) == ("acl", True, None)
    assert (control.stage, control.train, control.mu) == ("control", True, 0.0)
    assert run_acl_params(acl, run) == acl
    assert run_acl_params(acl, control) == {**acl, "mu": 0.0}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"train": "yes"}, r"control_run.train = 'yes'"),
        ({"mu": -1.0}, r"control_run.mu = -1.0"),
        ({"epochs": 2}, r"unknown parameters \['control_run.epochs'\]"),
    ],
)
def test_a_bad_run_parameter_is_named(change, message):
    with pytest.raises(ParameterError, match=message):
        AclRunParams.from_dict(base_parameters("control_run", **change))


def test_a_switched_off_run_writes_a_marker_not_a_model():
    off = base_parameters("control_run", train=False)
    checkpoint, metrics = train_acl_run(None, pd.DataFrame(), {}, base_parameters("acl"), off)
    assert checkpoint == {"format": "rmfer.not_trained.v1", "reason": "control_run.train is false"}
    assert metrics == {"trained": False, "reason": "control_run.train is false"}


def test_the_control_run_is_the_studys_control_arm(tmp_path):
    """The control block through the pipeline's function gives the weights of `train_acl` with
    mu = 0 (what the study's `control` arm runs), reads no RM face, and logs as `control`."""
    index = write_index(tmp_path / "images", {"train": 28, "test": 14})
    tracks = write_videos(tmp_path / "faces", {"v": (3, 8.0)})
    acl = acl_params(tmp_path / "faces", live_dir=str(tmp_path / "live")).to_dict()
    checkpoint, metrics = train_acl_run(
        tracks, index, ial_checkpoint(), acl, base_parameters("control_run")
    )
    study = train_acl(None, index, ial_checkpoint(), AclParams.from_dict({**acl, "mu": 0.0}))

    assert checkpoint["extra"]["stage"] == "control" and checkpoint["extra"]["params"]["mu"] == 0
    for name, tensor in study.checkpoint["state_dict"].items():
        assert torch.equal(tensor, checkpoint["state_dict"][name]), name
    assert metrics["mining"] == {"rm_faces_read": False}
    assert all("train_acl" not in row for row in metrics["history"])  # L_IAL only
    same = {k: v for k, v in study.metrics.items() if k != "seconds"}
    assert json.dumps({k: v for k, v in metrics.items() if k != "seconds"}) == json.dumps(same)
    assert (tmp_path / "live/control/metrics.json").is_file()
