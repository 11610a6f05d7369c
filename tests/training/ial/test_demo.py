"""IAL on a small demo world: the learned similarity groups expressions, and runs are repeatable.

The world is the demo generator's, shrunk (60 faces per class) and made easier (no label noise,
no aligner jitter) so that a tiny timm backbone learns it in seconds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch

from rmfer.data.dataset import BenchmarkImages
from rmfer.data.transforms import eval_transform
from rmfer.models import build_network, load_network
from rmfer.training import train_ial
from rmfer.training.ial import network_config
from rmfer.training.metrics import attention_metrics
from tests.conftest import small_ial_params

CHANCE = 1 / 7
# Measured over seeds 0-3 (report of issue #5): after training, test similarity gap (same-label
# minus different-label cosine) 0.40-0.51, attention diagonal mass 0.35-0.40, accuracy
# 0.46-0.56; the untrained net: gap ~0.00, diagonal ~0.13 (chance 1/7). Thresholds in between.
MIN_SIMILARITY_GAP = 0.2
MIN_DIAGONAL_MASS = 0.25


def _test_split(world: pd.DataFrame, size: int) -> tuple[torch.Tensor, torch.Tensor]:
    rows = world[world["split"] == "test"]
    config = network_config(small_ial_params(), 7)
    data = BenchmarkImages(rows, eval_transform(size, config.mean, config.std), 7)
    items = [data[k] for k in range(len(data))]
    return torch.stack([i["image"] for i in items]), torch.stack([i["label"] for i in items])


def test_learned_similarity_groups_test_faces_by_expression(easy_world, easy_ial):
    test = easy_ial.metrics["test"]
    matrix = np.array(test["attention_matrix"])
    own = matrix.diagonal()
    assert test["similarity_same"] - test["similarity_different"] > MIN_SIMILARITY_GAP, test
    assert test["attention_diagonal_mass"] > MIN_DIAGONAL_MASS, matrix.round(2)
    # every class but at most one (Neutral, the blend of all, is the usual one) attends to its
    # own class above chance
    assert (own > CHANCE).sum() >= 6, matrix.round(2)
    # the row's largest share on its own class: 4 of 7 rows for this small net (seed 0; the
    # demo's ial_model: all 7, diagonal mass 0.47); untrained the diagonal is no row's maximum
    # more than by chance
    assert (matrix.argmax(1) == np.arange(7)).sum() >= 4, matrix.round(2)
    assert easy_ial.metrics["accuracy"] > 2 * CHANCE

    # The same measurement on the untrained net falls below both thresholds: the test can fail.
    torch.manual_seed(0)
    untrained = build_network(network_config(small_ial_params(), 7)).eval()
    images, labels = _test_split(easy_world, 48)
    with torch.no_grad():
        output = untrained(images)
    before = attention_metrics(output.features, output.embeddings, labels, 7, tau=0.1)
    assert before["similarity_same"] - before["similarity_different"] < MIN_SIMILARITY_GAP
    assert before["attention_diagonal_mass"] < MIN_DIAGONAL_MASS


def test_same_seed_gives_identical_metrics_and_weights(easy_world):
    first = train_ial(easy_world, small_ial_params(epochs=2), progress=False)
    again = train_ial(easy_world, small_ial_params(epochs=2), progress=False)
    assert {**again.metrics, "seconds": 0} == {**first.metrics, "seconds": 0}
    for key, value in first.checkpoint["state_dict"].items():
        assert torch.equal(value, again.checkpoint["state_dict"][key]), key
    other = train_ial(easy_world, small_ial_params(epochs=2, seed=1), progress=False)
    assert other.metrics["history"] != first.metrics["history"]


def test_checkpoint_rebuilds_the_trained_net(tmp_path: Path, easy_ial):
    path = tmp_path / "ial.pt"
    torch.save(easy_ial.checkpoint, path)
    net = load_network(path)
    assert net.config.label_names == easy_ial.net.config.label_names
    images = torch.randn(2, 3, 48, 48)
    with torch.no_grad():
        torch.testing.assert_close(net(images).logits, easy_ial.net.eval()(images).logits)
