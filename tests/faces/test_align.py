import numpy as np
import pytest

from rmfer.faces.align import similarity_transform, similarity_transforms, template


def _lstsq_similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The same fit as a plain linear least-squares problem in (a, b, tx, ty)."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(src, dst, strict=True):
        rows += [[x, -y, 1, 0], [y, x, 0, 1]]
        rhs += [u, v]
    a, b, tx, ty = np.linalg.lstsq(np.array(rows), np.array(rhs), rcond=None)[0]
    return np.array([[a, -b, tx], [b, a, ty]])


def test_recovers_an_exact_similarity():
    angle, scale, shift = 0.4, 2.5, np.array([120.0, 40.0])
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    # landmarks = the template moved by a known similarity; the fit must undo it
    landmarks = template(112) @ (scale * rotation).T + shift
    matrix = similarity_transform(landmarks, 112)
    back = landmarks @ matrix[:, :2].T + matrix[:, 2]
    np.testing.assert_allclose(back, template(112), atol=1e-3)


def test_noisy_landmarks_match_linear_least_squares_for_every_face():
    rng = np.random.default_rng(3)
    faces = template(112)[None] * rng.uniform(0.4, 2, (6, 1, 1)) + rng.normal(0, 4, (6, 5, 2))
    faces += rng.uniform(0, 500, (6, 1, 2))
    matrices = similarity_transforms(faces, 96)
    assert matrices.shape == (6, 2, 3)
    for face, matrix in zip(faces, matrices, strict=True):
        np.testing.assert_allclose(matrix, _lstsq_similarity(face, template(96)), atol=1e-3)


def test_degenerate_landmarks_are_a_clear_error():
    with pytest.raises(ValueError, match="degenerate"):
        similarity_transform(np.full((5, 2), 7.0), 112)
