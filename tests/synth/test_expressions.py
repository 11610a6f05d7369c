"""Expression prototypes and mixtures: the AU vectors that drive the renderer."""

from __future__ import annotations

import numpy as np
import pytest

from rmfer.labels import CANONICAL_LABELS
from rmfer.synth.expressions import AU_NAMES, PROTOTYPES, mixture_to_aus, prototype


def test_prototypes_cover_canonical_labels_and_differ() -> None:
    assert tuple(PROTOTYPES) == CANONICAL_LABELS
    for vec in PROTOTYPES.values():
        assert vec.shape == (len(AU_NAMES),)
        assert vec.min() >= 0.0 and vec.max() <= 1.0
    names = list(PROTOTYPES)
    for i, x in enumerate(names):
        for y in names[i + 1 :]:
            assert np.abs(PROTOTYPES[x] - PROTOTYPES[y]).sum() > 0.5, (x, y)


def test_mixture_of_one_hot_is_the_prototype() -> None:
    for i, name in enumerate(CANONICAL_LABELS):
        w = np.zeros(len(CANONICAL_LABELS))
        w[i] = 1.0
        assert np.allclose(mixture_to_aus(w), prototype(name))
    w = np.full(len(CANONICAL_LABELS), 1.0 / len(CANONICAL_LABELS))
    blend = mixture_to_aus(w, intensity=0.5)
    assert blend.min() >= 0.0 and blend.max() <= 1.0
    assert np.allclose(mixture_to_aus(w, intensity=0.0), 0.0)


def test_unknown_expression_names_allowed_values() -> None:
    with pytest.raises(ValueError, match="Happiness") as err:
        prototype("Joy")
    for name in CANONICAL_LABELS:
        assert name in str(err.value)
    with pytest.raises(ValueError):
        mixture_to_aus(np.ones(3) / 3)
