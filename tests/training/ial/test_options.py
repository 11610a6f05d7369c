"""The less common paths end to end on tiny data: SAM, FERPlus soft labels, other samplers."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml

from rmfer.data import read_benchmark
from rmfer.training import IalParams, train_ial
from tests.conftest import PROJECT_ROOT
from tests.data.layouts import write_ferplus


def tiny_params(**overrides) -> IalParams:
    params = yaml.safe_load((PROJECT_ROOT / "conf/base/parameters_ial.yml").read_text())["ial"]
    params.update(backbone="test_efficientnet", image_size=32, threads=2, epochs=1, batch_size=16)
    params.update(live_dir=None, state_dir=None, **overrides)
    return IalParams.from_dict(params)


@pytest.fixture(scope="module")
def ferplus(tmp_path_factory: pytest.TempPathFactory):
    rows = []
    for k in range(48):
        counts = [0] * 10
        counts[k % 8], counts[(k + 3) % 8] = 7, 3
        usage = ("Training", "Training", "PublicTest", "PrivateTest")[k % 4]
        rows.append((usage, f"fer{k:07d}.png", counts))
    root = write_ferplus(tmp_path_factory.mktemp("ferplus"), rows, [5 * k for k in range(48)])
    return read_benchmark("ferplus", Path(root), soft_labels=True)


def test_sam_with_soft_labels_trains_on_ferplus(ferplus):
    result = train_ial(ferplus, tiny_params(optimiser="sam", soft_labels=True), progress=False)
    metrics = result.metrics
    assert metrics["validation_split"] == "validation"  # FERPlus has its own (PublicTest)
    assert metrics["num_classes"] == 8 and metrics["images"] == {
        "train": 24,
        "validation": 12,
        "test": 12,
    }
    assert math.isfinite(metrics["history"][0]["train_loss"])
    assert len(metrics["test"]["confusion_matrix"]) == 8


def test_unbalanced_sampler_and_test_selection(ferplus):
    params = tiny_params(balanced_sampler=False, validation_split="test", optimiser="adamw")
    metrics = train_ial(ferplus, params, progress=False).metrics
    assert metrics["validation_split"] == "test" and metrics["images"]["validation"] == 12
