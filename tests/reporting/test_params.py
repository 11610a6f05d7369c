"""The evaluate parameters: the project's are valid, a bad one is named by its YAML key."""

from __future__ import annotations

import pytest

from rmfer.errors import ParameterError
from rmfer.reporting.params import EvaluateParams
from tests.conf import base_parameters


def test_the_projects_parameters_are_valid():
    params = EvaluateParams.from_dict(base_parameters("evaluate"))
    assert params.embedding.space == "features"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"batch_size": 0}, "evaluate.batch_size = 0"),
        ({"device": "tpu"}, "evaluate.device"),
        ({"threads": 0}, "evaluate.threads = 0"),
        ({"colour": 1}, r"unknown parameters \['evaluate.colour'\]"),
        (
            {"embedding": {"space": "pixels", "perplexity": 5, "max_samples": 10, "threads": 1}},
            "evaluate.embedding.space",
        ),
        (
            {"embedding": {"space": "features", "perplexity": 0, "max_samples": 10, "threads": 1}},
            "evaluate.embedding.perplexity = 0",
        ),
        (
            {"embedding": {"space": "features", "max_samples": 10, "threads": 1}},
            "lack .'perplexity'",
        ),
        ({"embedding": None}, "evaluate.embedding"),
    ],
)
def test_a_bad_evaluate_parameter_is_named(change, message):
    with pytest.raises(ParameterError, match=message):
        EvaluateParams.from_dict(base_parameters("evaluate", **change))
