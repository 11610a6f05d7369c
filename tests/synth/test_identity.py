"""Identities: a wide, seeded spread of appearance that stores as JSON."""

from __future__ import annotations

import json

import numpy as np

from rmfer.synth.identity import HAIR_STYLES, Identity, sample_identity


def test_identities_are_diverse_and_serialisable() -> None:
    rng = np.random.default_rng(0)
    people = [sample_identity(rng) for _ in range(400)]
    lum = np.array([0.3 * p.skin[0] + 0.59 * p.skin[1] + 0.11 * p.skin[2] for p in people])
    assert lum.min() < 80 and lum.max() > 200
    assert 0.17 < np.mean([p.glasses for p in people]) < 0.33
    assert {p.hair_style for p in people} == set(HAIR_STYLES)
    d = people[0].to_dict()
    back = json.loads(json.dumps(d))
    fields = {k: tuple(v) if isinstance(v, list) else v for k, v in back.items()}
    assert Identity(**fields) == people[0]


def test_identities_are_seeded() -> None:
    def identity(seed: int) -> Identity:
        return sample_identity(np.random.default_rng(seed))

    assert identity(11) == identity(11)
    assert identity(11) != identity(12)
