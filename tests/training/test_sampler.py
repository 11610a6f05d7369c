"""Class-balanced batches: every class in every batch, rare classes repeated, seeded order."""

from __future__ import annotations

from collections import Counter

import numpy as np

from rmfer.training.sampler import ClassBalancedBatchSampler

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
