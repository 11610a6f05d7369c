"""The synthetic faces must be faces to a real detector: RetinaFace finds them in mashup frames."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import retinaface

from rmfer.labels import CANONICAL_LABELS
from rmfer.synth.expressions import PROTOTYPES
from rmfer.synth.face import (
    Pose,
    add_sensor_noise,
    composite,
    jpeg_roundtrip,
    render_face,
    sample_background,
    sample_lighting,
)
from rmfer.synth.identity import sample_identity

FRAME_H, FRAME_W = 360, 640


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _mashup_frames(
    rng: np.random.Generator, n_frames: int, grid: int, face_size: int, start: int
) -> tuple[list[np.ndarray], list[list[tuple[np.ndarray, str, bool]]]]:
    """Frames tiled like a reaction mashup: every tile a reactor on its own room background."""
    frames, truths = [], []
    tile_w, tile_h = FRAME_W // grid, FRAME_H // grid
    k = start
    for _ in range(n_frames):
        frame = sample_background(rng, FRAME_H, FRAME_W)
        truth = []
        for t in range(grid * grid):
            row, col = divmod(t, grid)
            tile = sample_background(rng, tile_h, tile_w)
            # every expression at full intensity, glasses on and off in turn
            ident = dataclasses.replace(sample_identity(rng), glasses=bool((k // 8) % 2))
            name = CANONICAL_LABELS[k % len(CANONICAL_LABELS)]
            pose = Pose(
                yaw=float(rng.uniform(-20, 20)),
                pitch=float(rng.uniform(-10, 10)),
                roll=float(rng.uniform(-12, 12)),
            )
            face = render_face(
                ident, PROTOTYPES[name], face_size, pose=pose, lighting=sample_lighting(rng)
            )
            x = (tile_w - face_size) // 2 + int(rng.integers(-15, 16))
            y = tile_h - face_size - int(rng.integers(0, 8))
            box, _ = composite(tile, face, x, y)
            frame[row * tile_h : (row + 1) * tile_h, col * tile_w : (col + 1) * tile_w] = tile
            offset = np.array([col * tile_w, row * tile_h] * 2, dtype=np.float32)
            truth.append((box + offset, name, ident.glasses))
            k += 1
        frame = jpeg_roundtrip(add_sensor_noise(frame, rng, 3.0), 85)
        frames.append(frame)
        truths.append(truth)
    return frames, truths


@pytest.fixture(scope="module")
def detection_results() -> list[dict]:
    """Run RetinaFace (bundled MobileNet-0.25) on 232 rendered faces in 640x360 mashup frames."""
    rng = np.random.default_rng(2024)
    # 24 frames of 3x3 tiles (213x120, face box ~48-54 px: the smallest video case) ...
    small, small_truth = _mashup_frames(rng, 24, grid=3, face_size=82, start=0)
    # ... and 4 frames of 2x2 tiles with larger faces.
    large, large_truth = _mashup_frames(rng, 4, grid=2, face_size=150, start=3)
    frames, truths = small + large, small_truth + large_truth
    results = []
    for i in range(0, len(frames), 7):
        batch = np.stack(frames[i : i + 7])
        dets = retinaface.detect_faces(batch, score_threshold=0.05)
        for faces, truth in zip(dets, truths[i : i + 7], strict=True):
            boxes = np.array(
                [[f.x, f.y, f.x + f.width, f.y + f.height] for f in faces], dtype=np.float32
            ).reshape(-1, 4)
            scores = np.array([f.score for f in faces], dtype=np.float32)
            for box, name, glasses in truth:
                ious = np.array([_iou(box, b) for b in boxes])
                centres = (boxes[:, :2] + boxes[:, 2:]) / 2.0
                inside = (
                    (centres[:, 0] >= box[0])
                    & (centres[:, 0] <= box[2])
                    & (centres[:, 1] >= box[1])
                    & (centres[:, 1] <= box[3])
                )
                results.append(
                    {
                        "name": name,
                        "glasses": glasses,
                        "small": box[3] - box[1] < 70,
                        "score_iou": float(scores[ious >= 0.5].max(initial=0.0)),
                        "score_centre": float(scores[inside].max(initial=0.0)),
                    }
                )
    return results


def test_retinaface_finds_rendered_faces(detection_results: list[dict]) -> None:
    assert len(detection_results) >= 200
    hit_iou = np.array([r["score_iou"] >= 0.5 for r in detection_results])
    hit_centre = np.array([r["score_centre"] >= 0.5 for r in detection_results])
    assert hit_iou.mean() >= 0.97, f"IoU>=0.5 recall {hit_iou.mean():.3f}"
    assert hit_centre.mean() >= 0.97, f"centre recall {hit_centre.mean():.3f}"


def test_every_expression_and_glasses_condition_is_detected(detection_results: list[dict]) -> None:
    for name in CANONICAL_LABELS:
        hits = [r["score_iou"] >= 0.5 for r in detection_results if r["name"] == name]
        assert len(hits) >= 25
        assert np.mean(hits) >= 0.9, f"{name}: recall {np.mean(hits):.3f}"
    for glasses in (False, True):
        hits = [r["score_iou"] >= 0.5 for r in detection_results if r["glasses"] == glasses]
        assert len(hits) >= 100
        assert np.mean(hits) >= 0.95, f"glasses={glasses}: recall {np.mean(hits):.3f}"
    small = [r["score_iou"] >= 0.5 for r in detection_results if r["small"]]
    assert len(small) >= 200 and np.mean(small) >= 0.97
