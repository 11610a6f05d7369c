"""A real (tiny) checkpoint run on a test split; the marker gives an untrained result."""

from __future__ import annotations

import numpy as np
import pytest

from rmfer.errors import InputError
from rmfer.reporting.inference import run_on_test_split, select_test_split
from rmfer.training.ial.runs import not_trained_checkpoint
from tests.reporting.fixtures import evaluate_params
from tests.training.acl.test_train import ial_checkpoint, write_index


def test_metrics_and_features_of_the_test_split(tmp_path):
    index = write_index(tmp_path, {"train": 7, "test": 14})
    params = evaluate_params(max_attention_samples=10)
    result = run_on_test_split("ial", ial_checkpoint(), index, params)
    again = run_on_test_split("ial", ial_checkpoint(), index, params)

    assert result.trained and result.info["stage"] == "ial"
    assert result.labels.tolist() == index[index["split"] == "test"]["label"].tolist()
    assert result.features.shape[0] == 14 == len(result.predicted)
    metrics = result.metrics
    assert metrics["accuracy"] == pytest.approx(float((result.labels == result.predicted).mean()))
    assert np.asarray(metrics["confusion_matrix"]).sum() == 14
    assert len(metrics["attention_matrix"]) == 7 and "similarity_same" in metrics
    assert metrics == again.metrics and np.array_equal(result.features, again.features)


def test_the_not_trained_marker_is_reported_as_such(tmp_path):
    index = write_index(tmp_path, {"train": 7, "test": 7})
    result = run_on_test_split("baseline", not_trained_checkpoint("off"), index, evaluate_params())
    assert (result.trained, result.reason, len(result.labels)) == (False, "off", 0)


def test_an_index_without_test_split_is_refused(tmp_path):
    index = write_index(tmp_path, {"train": 7})
    with pytest.raises(InputError, match="no test split"):
        select_test_split(index)
