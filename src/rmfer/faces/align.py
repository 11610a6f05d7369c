"""Five-point similarity alignment to a canonical template.

One alignment for everything: the synthetic benchmark's aligned crops and facetrack's RM crops
go through the same transform, so the network sees the same geometry in both stages.
"""

from __future__ import annotations

import cv2
import numpy as np

# ArcFace's 112x112 template, RetinaFace landmark order: left eye, right eye, nose,
# left mouth corner, right mouth corner (image left first).
_TEMPLATE_112 = np.array(
    [
        [38.2946, 51.6963],
        [73.5318, 51.5014],
        [56.0252, 71.7366],
        [41.5493, 92.3655],
        [70.7299, 92.2041],
    ],
    dtype=np.float32,
)


def template(size: int) -> np.ndarray:
    """The five template points for a square crop of `size` pixels."""
    return _TEMPLATE_112 * (size / 112.0)


def similarity_transform(landmarks: np.ndarray, size: int) -> np.ndarray:
    """The 2x3 similarity (rotation, uniform scale, shift) mapping landmarks onto the template."""
    src = np.asarray(landmarks, dtype=np.float32).reshape(5, 2)
    matrix, _ = cv2.estimateAffinePartial2D(src, template(size), method=cv2.LMEDS)
    if matrix is None:
        raise ValueError(f"cannot align degenerate landmarks {src.tolist()}")
    return matrix


def align_face(image: np.ndarray, landmarks: np.ndarray, size: int = 112) -> np.ndarray:
    """Warp `image` so that its five landmarks land on the template of a `size` crop."""
    return warp_aligned(image, similarity_transform(landmarks, size), size)


def warp_aligned(image: np.ndarray, matrix: np.ndarray, size: int) -> np.ndarray:
    """The crop for a transform from `similarity_transform`: for callers that reuse the matrix."""
    return cv2.warpAffine(
        image, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT101
    )
