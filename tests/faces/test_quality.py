"""Drop reasons: too small, too far in profile, too blurred."""

from __future__ import annotations

import cv2
import numpy as np

from rmfer.faces.align import template
from rmfer.faces.quality import (
    BLURRY,
    PROFILE,
    SMALL,
    QualityParams,
    drop_reason,
    profile,
    sharpness,
)
from tests.conf import base_parameters


def rotate(points: np.ndarray, degrees: float) -> np.ndarray:
    angle = np.radians(degrees)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return (points - points.mean(0)) @ rot.T + 200


def test_profile_is_zero_frontal_whatever_the_roll_and_grows_as_the_nose_nears_an_eye():
    frontal = template(112)
    assert profile(frontal) < 0.05
    assert profile(rotate(frontal, 35)) < 0.05
    turned = frontal.copy()
    eye_mid = frontal[:2].mean(0)
    for share, expected in ((0.5, 0.5), (1.0, 1.0), (1.5, 1.0)):
        turned[2, 0] = eye_mid[0] + share * (frontal[1, 0] - eye_mid[0])
        assert abs(profile(turned) - expected) < 0.05


def test_drop_reasons_in_order():
    rng = np.random.default_rng(0)
    crop = rng.integers(0, 255, (112, 112, 3), dtype=np.uint8)
    blurred = cv2.GaussianBlur(crop, (0, 0), 3)
    assert sharpness(blurred) < 20 < sharpness(crop)
    params = QualityParams(**base_parameters("facetrack")["quality"])
    box, small_box = np.array([0, 0, 80, 90]), np.array([0, 0, 30, 90])
    points = template(112)
    side = points.copy()
    side[2, 0] = points[1, 0]
    assert drop_reason(box, points, crop, params) is None
    assert drop_reason(small_box, points, crop, params) == SMALL
    assert drop_reason(box, side, crop, params) == PROFILE
    assert drop_reason(box, points, blurred, params) == BLURRY
