"""Class-balanced batches: every class in every batch, rare classes repeated, seeded order."""

from __future__ import annotations

import logging
from collections import Counter

import numpy as np
import pytest
import torch
from torch.utils.data import TensorDataset

from rmfer.errors import ParameterError
from rmfer.training.sampler import ClassBalancedBatchSampler, labeled_loader

LABELS = np.array([0] * 50 + [1] * 5 + [3] * 20)  # imbalanced, class 2 absent


def test_every_batch_holds_k_samples_of_each_present_class():
    sampler = ClassBalancedBatchSampler(LABELS, samples_per_class=4, num_batches=6, seed=1)
    batches = list(sampler)
    assert len(batches) == len(sampler) == 6 and sampler.batch_size == 12
    for batch in batches:
        assert Counter(LABELS[batch].tolist()) == {0: 4, 1: 4, 3: 4}


def test_a_rare_class_is_used_up_before_it_repeats():
    sampler = ClassBalancedBatchSampler(LABELS, samples_per_class=5, num_batches=2, seed=0)
    rare = [i for batch in sampler for i in batch if LABELS[i] == 1]
    assert sorted(rare[:5]) == [50, 51, 52, 53, 54]  # all five once per pass ...
    assert sorted(rare[5:]) == [50, 51, 52, 53, 54]  # ... then a reshuffled second pass


def test_order_depends_on_seed_and_epoch_only():
    first = ClassBalancedBatchSampler(LABELS, 3, 4, seed=7)
    second = ClassBalancedBatchSampler(LABELS, 3, 4, seed=7)
    assert list(first) == list(second)
    second.set_epoch(1)
    assert list(first) != list(second)


def loader(labels: np.ndarray, samples_per_class: int | None, batch_size: int = 12):
    return labeled_loader(
        TensorDataset(torch.arange(len(labels))),
        labels,
        batch_size,
        True,
        samples_per_class,
        0,
        torch.Generator().manual_seed(0),
        section="acl",
    )


def test_a_class_smaller_than_samples_per_class_is_an_error_naming_it(caplog):
    with pytest.raises(
        ParameterError,
        match=r"class 1 \(Happiness\) has 5 training images, but acl\.samples_per_class = 6 .*"
        r"at most 5, or set acl\.balanced_sampler: false",
    ):
        loader(LABELS, samples_per_class=6)
    with caplog.at_level(logging.WARNING, logger="rmfer.training.sampler"):
        loader(LABELS, samples_per_class=None, batch_size=18)  # null: 6 per class, a warning
    assert "acl.samples_per_class = null gives 6 images per class" in caplog.text
    assert "class 1 (Happiness) has 5 training images" in caplog.text
    _, sampler, batch_size = loader(LABELS, samples_per_class=5)  # as many as it has: fine
    assert sampler is not None and batch_size == 15
    for batch in sampler:
        assert len(set(batch)) == len(batch)  # no image twice in a batch
