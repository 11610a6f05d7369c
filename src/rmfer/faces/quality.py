"""Why a detected face is not kept as a training crop: too small, too blurred, too far in profile.

Dropped faces still carry their track (a profile view bridges a reactor's frontal views); only
their crops are left out, and each reason is counted.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

SMALL, BLURRY, PROFILE = "small", "blurry", "profile"
REASONS = (SMALL, BLURRY, PROFILE)


@dataclass(frozen=True)
class QualityParams:
    """Defaults and their meaning: conf/base/parameters_facetrack.yml, `facetrack.quality`."""

    min_face_px: float  # the box's shorter side in video pixels
    min_sharpness: float  # variance of the Laplacian of the aligned grey crop
    max_profile: float  # 0 frontal .. 1 full profile, from the landmarks


def sharpness(crop: np.ndarray) -> float:
    """Variance of the Laplacian of the aligned crop: measured at one size, so comparable.

    In int16, which holds the 3x3 Laplacian of uint8 exactly and is faster than float.
    """
    grey = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)
    _, std = cv2.meanStdDev(cv2.Laplacian(grey, cv2.CV_16S))
    return float(std[0, 0]) ** 2


def profile(landmarks: np.ndarray) -> float:
    """How far the head is turned, from where the nose sits between the eyes.

    The nose's position along the eye axis, relative to the eyes' midpoint and in half eye
    distances: 0 frontal, about 0.5 at 30-40 degrees of yaw, 1 when the nose reaches or passes
    an eye (a profile, or landmarks too confused to align by). Rotation in the image plane does
    not change it.
    """
    return float(profiles(np.asarray(landmarks).reshape(1, 5, 2))[0])


def profiles(landmarks: np.ndarray) -> np.ndarray:
    """`profile` of each face of (K, 5, 2) landmarks."""
    points = np.asarray(landmarks, np.float64).reshape(-1, 5, 2)
    left, right, nose = points[:, 0], points[:, 1], points[:, 2]
    axis = right - left
    half = np.linalg.norm(axis, axis=1) / 2
    safe = np.maximum(half, 1e-6)
    along = np.einsum("kd,kd->k", nose - (left + right) / 2, axis / (2 * safe[:, None]))
    return np.where(half < 1e-6, 1.0, np.minimum(np.abs(along) / safe, 1.0))


def shape_reasons(
    boxes: np.ndarray, landmarks: np.ndarray, params: QualityParams
) -> list[str | None]:
    """The reasons that need no pixels (size, then profile), for every face of a frame."""
    boxes = np.asarray(boxes).reshape(-1, 4)
    sides = np.minimum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
    turned = profiles(landmarks)
    return [
        SMALL if side < params.min_face_px else PROFILE if turn > params.max_profile else None
        for side, turn in zip(sides.tolist(), turned.tolist(), strict=True)
    ]


def drop_reason(
    box: np.ndarray, landmarks: np.ndarray, crop: np.ndarray, params: QualityParams
) -> str | None:
    """The first reason to leave this face out, or None to keep it."""
    reason = shape_reasons(box, landmarks, params)[0]
    if reason is None and sharpness(crop) < params.min_sharpness:
        return BLURRY
    return reason
