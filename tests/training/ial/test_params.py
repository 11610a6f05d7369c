"""IAL parameters: the project's files are valid; a bad value names the key and what is allowed."""

from __future__ import annotations

import pytest
import yaml

from rmfer.errors import ParameterError
from rmfer.training import IalParams
from tests.conf import environment_parameters
from tests.conftest import PROJECT_ROOT


def base_params() -> dict:
    return yaml.safe_load((PROJECT_ROOT / "conf/base/parameters_ial.yml").read_text())["ial"]


@pytest.mark.parametrize("env", ["base", "paper"])
def test_project_parameter_files_are_valid(env: str):
    parsed = IalParams.from_dict(environment_parameters(env, "ial"))
    assert parsed.to_dict()["augmentation"]["flip"] == 0.5


def test_paper_settings_follow_the_method():
    params = environment_parameters("paper", "ial")
    assert params["backbone"] == "tf_efficientnet_b2" and params["image_size"] == 260
    assert (params["optimiser"], params["sam_base"]) == ("sam", "adam")
    assert (params["lr"], params["epochs"], params["batch_size"], params["tau"]) == (
        6e-6,
        30,
        32,
        1.0,
    )


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("epochs", 0, r"ial\.epochs = 0 is invalid; allowed: an integer >= 1"),
        ("optimiser", "lbfgs", r"ial\.optimiser = 'lbfgs' .*'adam', 'adamw', 'sgd', 'sam'"),
        ("lambda_att", -1, r"ial\.lambda_att = -1"),
        ("num_classes", 6, r"ial\.num_classes = 6 .*7, 8 or null"),
        ("augmentation", {"flip": 2}, r"ial\.augmentation\.flip = 2\.0 is invalid"),
        ("augmentation", {"mixup": 1}, r"unknown parameters \['ial\.augmentation\.mixup'\]"),
        ("augmentation", {"hue": 0.1}, r"parameters ial\.augmentation lack \['brightness'"),
        ("device", "tpu", r"ial\.device = 'tpu'"),
    ],
)
def test_bad_values_name_the_key(key: str, value, message: str):
    params = base_params()
    if key == "augmentation" and "hue" not in value:  # one bad key among the others
        value = {**params["augmentation"], **value}
    params[key] = value
    with pytest.raises(ParameterError, match=message):
        IalParams.from_dict(params)


def test_unknown_and_missing_keys():
    params = base_params()
    params["learning_rate"] = 0.1
    with pytest.raises(ParameterError, match=r"unknown parameters \['ial\.learning_rate'\]"):
        IalParams.from_dict(params)
    del params["learning_rate"], params["tau"]
    with pytest.raises(ParameterError, match=r"lack \['tau'\]"):
        IalParams.from_dict(params)
