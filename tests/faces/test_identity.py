"""One id per reactor: place within a stretch between cuts, appearance across cuts."""

from __future__ import annotations

import dataclasses

import numpy as np

from rmfer.faces.align import similarity_transform, template
from rmfer.faces.identity import Fragment, LinkParams, descriptor, link_fragments
from tests.conf import base_parameters

# conf/base's linking parameters (facetrack.identity, less the keys only facetrack reads).
_IDENTITY = base_parameters("facetrack")["identity"]
PARAMS = LinkParams(**{f.name: _IDENTITY[f.name] for f in dataclasses.fields(LinkParams)})


def person(colour: tuple[int, int, int], hair: tuple[int, int, int], shift: int = 0) -> tuple:
    """A flat 'face' with 'hair' above it: descriptor()'s arguments (image, alignment, sizes)."""
    image = np.full((200, 200, 3), 90, np.uint8)
    image[40 + shift : 80 + shift, 60:140] = hair
    image[70 + shift : 160 + shift, 60:140] = colour
    points = template(112) * 0.8 + [55, 50 + shift]
    return image, similarity_transform(points, 112), 112, PARAMS.context, PARAMS.bins, PARAMS.grid


def test_descriptor_is_a_unit_vector_that_ignores_position_and_tells_people_apart():
    a = descriptor(*person((210, 160, 130), (40, 30, 20)))
    a_moved = descriptor(*person((210, 160, 130), (40, 30, 20), shift=12))
    b = descriptor(*person((120, 80, 60), (200, 190, 60)))
    assert np.isclose(np.linalg.norm(a), 1.0)
    assert a @ a_moved > 0.95
    assert a @ b < 0.5


def frag(track, segment, steps, centre, desc, size=50.0) -> Fragment:
    return Fragment(
        track, segment, np.array(steps), np.array(centre, float), size, desc * len(steps)
    )


def unit(k: int, n: int = 8, mix: float = 0.0) -> np.ndarray:
    v = np.full(n, mix)
    v[k] = 1.0
    return v / np.linalg.norm(v)


def test_same_place_between_cuts_is_one_person_together_in_a_frame_never():
    fragments = [
        frag(0, 0, [0, 1, 2], (100, 100), unit(0)),
        frag(1, 0, [5, 6], (110, 104), unit(0, mix=0.3)),  # the same tile after a miss
        frag(2, 0, [0, 1, 2, 5, 6], (300, 100), unit(0)),  # looks alike, but always beside
    ]
    assert link_fragments(fragments, PARAMS) == [0, 0, 1]


def test_across_a_layout_change_appearance_decides_not_place():
    a, b, c = unit(0, mix=0.2), unit(1, mix=0.2), unit(2, mix=0.2)
    before = [
        frag(0, 0, [0, 1], (100, 100), a),
        frag(1, 0, [0, 1], (300, 100), b),
        frag(2, 0, [0, 1], (500, 100), c),
    ]
    after = [  # everyone moved: a where c was, b where a was, c where b was
        frag(3, 1, [2, 3], (500, 100), a),
        frag(4, 1, [2, 3], (100, 100), b),
        frag(5, 1, [2, 3], (300, 100), c),
        frag(6, 1, [2, 3], (700, 100), unit(5)),  # a newcomer like no one before
    ]
    assert link_fragments(before + after, PARAMS) == [0, 1, 2, 0, 1, 2, 3]


def test_without_fragments_nothing():
    assert link_fragments([], PARAMS) == []
