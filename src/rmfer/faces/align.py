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
    """The 2x3 least-squares similarity (rotation, uniform scale, shift) mapping landmarks onto
    the template, as insightface aligns."""
    return similarity_transforms(np.asarray(landmarks).reshape(1, 5, 2), size)[0]


def similarity_transforms(landmarks: np.ndarray, size: int) -> np.ndarray:
    """`similarity_transform` of each face of (K, 5, 2) landmarks, as (K, 2, 3).

    The closed form of the 2-D least-squares similarity (Umeyama without reflection), for all
    of a frame's faces at once: an estimator call per face cost facetrack more than warping.
    """
    src = np.asarray(landmarks, dtype=np.float64).reshape(-1, 5, 2)
    dst = template(size).astype(np.float64)
    src_c = src - src.mean(axis=1, keepdims=True)
    dst_c = dst - dst.mean(axis=0)
    spread = (src_c**2).sum(axis=(1, 2))
    bad = ~np.isfinite(spread) | (spread < 1e-9)
    if bad.any():
        raise ValueError(f"cannot align degenerate landmarks {src[bad][0].tolist()}")
    # dst ~ [[a, -b], [b, a]] @ src + t, a = s cos(theta), b = s sin(theta)
    a = np.einsum("kpd,pd->k", src_c, dst_c) / spread
    b = (src_c[..., 0] * dst_c[:, 1] - src_c[..., 1] * dst_c[:, 0]).sum(axis=1) / spread
    matrices = np.empty((len(src), 2, 3))
    matrices[:, 0, 0], matrices[:, 0, 1] = a, -b
    matrices[:, 1, 0], matrices[:, 1, 1] = b, a
    matrices[:, :, 2] = dst.mean(axis=0) - np.einsum(
        "kij,kj->ki", matrices[:, :, :2], src.mean(axis=1)
    )
    return matrices.astype(np.float32)


def align_face(image: np.ndarray, landmarks: np.ndarray, size: int = 112) -> np.ndarray:
    """Warp `image` so that its five landmarks land on the template of a `size` crop."""
    return warp_aligned(image, similarity_transform(landmarks, size), size)


def warp_aligned(image: np.ndarray, matrix: np.ndarray, size: int) -> np.ndarray:
    """The crop for a transform from `similarity_transform`: for callers that reuse the matrix."""
    return cv2.warpAffine(
        image, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT101
    )
