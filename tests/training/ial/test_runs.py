"""IAL's training runs: the run blocks, the baseline's parameters and the "not trained" marker."""

from __future__ import annotations

import pandas as pd
import pytest

from rmfer.errors import ParameterError
from rmfer.training.ial.runs import (
    RunParams,
    is_trained,
    run_ial_params,
    train_run,
)
from tests.conf import base_parameters


def test_the_projects_run_blocks_are_valid():
    ial = RunParams.from_dict(base_parameters("ial_run"))
    baseline = RunParams.from_dict(base_parameters("baseline_run"))
    assert (ial.stage, ial.train, ial.lambda_att, ial.epochs) == ("ial", True, None, None)
    assert (baseline.stage, baseline.train, baseline.lambda_att) == ("baseline", True, 0.0)


def test_the_ial_run_is_ial_and_the_baseline_turns_the_attention_term_off():
    ial = base_parameters("ial")
    assert run_ial_params(ial, RunParams.from_dict(base_parameters("ial_run"))) == ial
    baseline = RunParams.from_dict(base_parameters("baseline_run"))
    assert run_ial_params(ial, baseline) == {**ial, "lambda_att": 0.0}
    short = RunParams.from_dict(base_parameters("baseline_run", epochs=2))
    assert run_ial_params(ial, short) == {**ial, "lambda_att": 0.0, "epochs": 2}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"train": "yes"}, r"baseline_run.train = 'yes'"),
        ({"epochs": 0}, r"baseline_run.epochs = 0"),
        ({"lambda_att": -1.0}, r"baseline_run.lambda_att = -1.0"),
        ({"colour": 1}, r"unknown parameters \['baseline_run.colour'\]"),
    ],
)
def test_a_bad_run_parameter_is_named(change, message):
    with pytest.raises(ParameterError, match=message):
        RunParams.from_dict(base_parameters("baseline_run", **change))


def test_a_missing_run_key_is_named():
    params = base_parameters("baseline_run")
    del params["train"]
    with pytest.raises(ParameterError, match=r"parameters baseline_run lack \['train'\]"):
        RunParams.from_dict(params)


def test_a_switched_off_run_writes_a_marker_not_a_model():
    off = base_parameters("baseline_run", train=False)
    checkpoint, metrics = train_run(pd.DataFrame(), base_parameters("ial"), off)
    assert not is_trained(checkpoint)
    assert checkpoint == {"format": "rmfer.not_trained.v1", "reason": "baseline_run.train is false"}
    assert metrics == {"trained": False, "reason": "baseline_run.train is false"}
    assert is_trained({"format": "rmfer.attention_net.v1"})
