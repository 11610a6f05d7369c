"""The evaluate and ial_baseline parameters, and the baseline's "not trained" marker."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from rmfer.reporting.baseline import (
    BaselineParameterError,
    BaselineParams,
    baseline_ial_params,
    is_trained,
    train_baseline,
)
from rmfer.reporting.params import EvaluateParameterError, EvaluateParams
from tests.conftest import PROJECT_ROOT

EMBEDDING = {"space": "features", "perplexity": 5, "max_samples": 10, "threads": 1}


def _conf(name: str) -> dict:
    return yaml.safe_load((PROJECT_ROOT / f"conf/base/{name}").read_text())


def test_the_projects_parameters_are_valid():
    params = EvaluateParams.from_dict(_conf("parameters_evaluate.yml")["evaluate"])
    assert params.embedding.space == "features"
    baseline = BaselineParams.from_dict(_conf("parameters_ial.yml")["ial_baseline"])
    assert baseline.train is True


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"batch_size": 0}, "evaluate.batch_size = 0"),
        ({"device": "tpu"}, "evaluate.device"),
        ({"colour": 1}, r"unknown parameters \['evaluate.colour'\]"),
        (
            {"embedding": {"space": "pixels", "perplexity": 5, "max_samples": 10, "threads": 1}},
            "space",
        ),
        (
            {"embedding": {"space": "features", "max_samples": 10, "threads": 1}},
            "lack .'perplexity'",
        ),
    ],
)
def test_a_bad_evaluate_parameter_is_named(change, message):
    values = {**_conf("parameters_evaluate.yml")["evaluate"], **change}
    with pytest.raises(EvaluateParameterError, match=message):
        EvaluateParams.from_dict(values)


def test_baseline_params_turn_the_attention_term_off_and_may_shorten_training():
    ial = _conf("parameters_ial.yml")["ial"]
    same = baseline_ial_params(ial, BaselineParams(train=True, epochs=None))
    assert same == {**ial, "lambda_att": 0.0}
    short = baseline_ial_params(ial, BaselineParams(train=True, epochs=2))
    assert (short["epochs"], short["lambda_att"], short["lr"]) == (2, 0.0, ial["lr"])
    for bad in ({"train": "yes", "epochs": None}, {"train": True, "epochs": 0}, {"train": True}):
        with pytest.raises(BaselineParameterError):
            BaselineParams.from_dict(bad)


def test_switched_off_baseline_writes_a_marker_not_a_model():
    checkpoint, metrics = train_baseline(pd.DataFrame(), {}, {"train": False, "epochs": None})
    assert not is_trained(checkpoint)
    assert checkpoint == {"format": "rmfer.not_trained.v1", "reason": "ial_baseline.train is false"}
    assert metrics == {"trained": False, "reason": "ial_baseline.train is false"}
    assert is_trained({"format": "rmfer.attention_net.v1"})
