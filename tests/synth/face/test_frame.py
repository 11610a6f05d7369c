"""Placing a face in a webcam frame: the room behind it, compositing, sensor noise and JPEG."""

from __future__ import annotations

import numpy as np

from rmfer.synth.expressions import PROTOTYPES
from rmfer.synth.face import (
    add_sensor_noise,
    composite,
    jpeg_roundtrip,
    render_face,
    sample_background,
)
from rmfer.synth.identity import Identity, sample_identity


def _identity(seed: int) -> Identity:
    return sample_identity(np.random.default_rng(seed))


def test_background_is_seeded() -> None:
    bg1 = sample_background(np.random.default_rng(5), 120, 213)
    bg2 = sample_background(np.random.default_rng(5), 120, 213)
    assert bg1.shape == (120, 213, 3) and bg1.dtype == np.uint8
    assert np.array_equal(bg1, bg2)


def test_composite_blends_in_place_and_clips() -> None:
    face = render_face(_identity(0), PROTOTYPES["Neutral"], 80)
    bg = np.zeros((120, 213, 3), dtype=np.uint8)
    box, lms = composite(bg, face, 100, 60)
    assert np.allclose(box, face.box + np.array([100, 60, 100, 60]))
    assert np.allclose(lms, face.landmarks + np.array([100, 60]))
    assert bg[60:, 100:180].any() and not bg[:50].any()
    edge = np.zeros((50, 50, 3), dtype=np.uint8)
    composite(edge, face, -40, -30)  # partly outside: clipped, no error
    composite(edge, face, 500, 500)  # fully outside: untouched
    assert edge.any()


def test_noise_and_jpeg_helpers() -> None:
    img = sample_background(np.random.default_rng(0), 90, 160)
    noisy = add_sensor_noise(img, np.random.default_rng(1), 5.0)
    assert noisy.dtype == np.uint8 and noisy.shape == img.shape
    assert np.array_equal(noisy, add_sensor_noise(img, np.random.default_rng(1), 5.0))
    assert 1.0 < np.abs(noisy.astype(int) - img.astype(int)).mean() < 8.0
    jp = jpeg_roundtrip(img, 70)
    assert jp.shape == img.shape and jp.dtype == np.uint8
    assert np.abs(jp.astype(int) - img.astype(int)).mean() < 6.0
