"""Rendering is deterministic, expression-driven, and puts the box and landmarks on the face."""

from __future__ import annotations

import numpy as np
import pytest

from rmfer.synth.expressions import PROTOTYPES
from rmfer.synth.face import Lighting, Pose, RenderedFace, render_face, sample_lighting
from rmfer.synth.identity import Identity, sample_identity


def _identity(seed: int) -> Identity:
    return sample_identity(np.random.default_rng(seed))


def test_rendering_is_deterministic() -> None:
    ident = _identity(3)
    kwargs = dict(pose=Pose(12.0, -5.0, 7.0), lighting=Lighting(60.0, 0.6, 0.9))
    a = render_face(ident, PROTOTYPES["Fear"], 100, **kwargs)
    b = render_face(ident, PROTOTYPES["Fear"], 100, **kwargs)
    assert a.rgba.tobytes() == b.rgba.tobytes()
    assert np.array_equal(a.box, b.box) and np.array_equal(a.landmarks, b.landmarks)
    other = render_face(_identity(4), PROTOTYPES["Fear"], 100, **kwargs)
    assert other.rgba.tobytes() != a.rgba.tobytes()


def test_lighting_is_seeded() -> None:
    assert sample_lighting(np.random.default_rng(1)) == sample_lighting(np.random.default_rng(1))
    assert sample_lighting(np.random.default_rng(1)) != sample_lighting(np.random.default_rng(2))


def test_expression_changes_the_image_but_identity_dominates() -> None:
    """Same person, two expressions: closer in pixels than two people with one expression."""
    a, b = _identity(1), _identity(2)

    def img(ident: Identity, name: str) -> np.ndarray:
        return render_face(ident, PROTOTYPES[name], 100).rgba.astype(np.float32)

    same_person = np.abs(img(a, "Happiness") - img(a, "Sadness")).mean()
    same_expression = np.abs(img(a, "Happiness") - img(b, "Happiness")).mean()
    assert same_person > 0.5
    assert same_expression > same_person


@pytest.mark.parametrize("size", [64, 86, 100, 160])
@pytest.mark.parametrize(
    "pose", [Pose(), Pose(25.0, 0.0, 0.0), Pose(-25.0, 10.0, -15.0), Pose(10.0, -10.0, 15.0)]
)
def test_landmarks_inside_box_inside_image(size: int, pose: Pose) -> None:
    for k, name in enumerate(("Neutral", "Surprise", "Happiness", "Contempt")):
        face = render_face(_identity(k), PROTOTYPES[name], size, pose=pose)
        assert isinstance(face, RenderedFace)
        assert face.rgba.shape == (size, size, 4) and face.rgba.dtype == np.uint8
        x1, y1, x2, y2 = face.box
        assert 0 <= x1 < x2 <= size and 0 <= y1 < y2 <= size
        assert 0.52 <= (y2 - y1) / size <= 0.7  # room for hair and shoulders
        lm = face.landmarks
        assert lm.shape == (5, 2)
        assert np.all((lm[:, 0] > x1) & (lm[:, 0] < x2) & (lm[:, 1] > y1) & (lm[:, 1] < y2))
        assert lm[0, 0] < lm[1, 0] and lm[3, 0] < lm[4, 0]  # image-left first
        assert lm[:2, 1].max() < lm[2, 1] < lm[3:, 1].min()  # eyes, nose, mouth from the top
        assert face.rgba[int(lm[2, 1]), int(lm[2, 0]), 3] == 255  # the nose is on the head
        assert face.rgba[0, 0, 3] == 0  # corners stay transparent


def test_hand_occludes_the_mouth() -> None:
    ident = _identity(6)
    plain = render_face(ident, PROTOTYPES["Surprise"], 120)
    hand = render_face(ident, PROTOTYPES["Surprise"], 120, occlusion="hand_over_mouth")
    mx, my = plain.landmarks[3:].mean(axis=0).astype(int)
    region = (slice(my - 4, my + 4), slice(mx - 6, mx + 6))
    diff = np.abs(plain.rgba[region].astype(int) - hand.rgba[region].astype(int)).mean()
    assert diff > 10
    with pytest.raises(ValueError):
        render_face(ident, PROTOTYPES["Neutral"], 100, occlusion="scarf")
