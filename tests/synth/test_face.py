"""The synthetic faces must be faces to a real detector, deterministic, and expression-driven."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import retinaface

from rmfer.labels import CANONICAL_LABELS
from rmfer.synth.expressions import AU_NAMES, PROTOTYPES, mixture_to_aus, prototype
from rmfer.synth.face import (
    Lighting,
    Pose,
    RenderedFace,
    add_sensor_noise,
    composite,
    jpeg_roundtrip,
    render_face,
    sample_background,
    sample_lighting,
)
from rmfer.synth.identity import HAIR_STYLES, Identity, sample_identity

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


# ---- determinism --------------------------------------------------------------------------------


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


def test_sampling_is_seeded() -> None:
    assert _identity(11) == _identity(11)
    assert _identity(11) != _identity(12)
    bg1 = sample_background(np.random.default_rng(5), 120, 213)
    bg2 = sample_background(np.random.default_rng(5), 120, 213)
    assert bg1.shape == (120, 213, 3) and bg1.dtype == np.uint8
    assert np.array_equal(bg1, bg2)
    assert sample_lighting(np.random.default_rng(1)) == sample_lighting(np.random.default_rng(1))


def test_expression_changes_the_image_but_identity_dominates() -> None:
    """Same person, two expressions: closer in pixels than two people with one expression."""
    a, b = _identity(1), _identity(2)

    def img(ident: Identity, name: str) -> np.ndarray:
        return render_face(ident, PROTOTYPES[name], 100).rgba.astype(np.float32)

    same_person = np.abs(img(a, "Happiness") - img(a, "Sadness")).mean()
    same_expression = np.abs(img(a, "Happiness") - img(b, "Happiness")).mean()
    assert same_person > 0.5
    assert same_expression > same_person


# ---- expressions --------------------------------------------------------------------------------


def test_prototypes_cover_canonical_labels_and_differ() -> None:
    assert tuple(PROTOTYPES) == CANONICAL_LABELS
    for vec in PROTOTYPES.values():
        assert vec.shape == (len(AU_NAMES),)
        assert vec.min() >= 0.0 and vec.max() <= 1.0
    names = list(PROTOTYPES)
    for i, x in enumerate(names):
        for y in names[i + 1 :]:
            assert np.abs(PROTOTYPES[x] - PROTOTYPES[y]).sum() > 0.5, (x, y)


def test_mixture_of_one_hot_is_the_prototype() -> None:
    for i, name in enumerate(CANONICAL_LABELS):
        w = np.zeros(len(CANONICAL_LABELS))
        w[i] = 1.0
        assert np.allclose(mixture_to_aus(w), prototype(name))
    w = np.full(len(CANONICAL_LABELS), 1.0 / len(CANONICAL_LABELS))
    blend = mixture_to_aus(w, intensity=0.5)
    assert blend.min() >= 0.0 and blend.max() <= 1.0
    assert np.allclose(mixture_to_aus(w, intensity=0.0), 0.0)


def test_unknown_expression_names_allowed_values() -> None:
    with pytest.raises(ValueError, match="Happiness") as err:
        prototype("Joy")
    for name in CANONICAL_LABELS:
        assert name in str(err.value)
    with pytest.raises(ValueError):
        mixture_to_aus(np.ones(3) / 3)


# ---- geometry -----------------------------------------------------------------------------------


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


# ---- identity and image helpers ----------------------------------------------------------------


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


def test_noise_and_jpeg_helpers() -> None:
    img = sample_background(np.random.default_rng(0), 90, 160)
    noisy = add_sensor_noise(img, np.random.default_rng(1), 5.0)
    assert noisy.dtype == np.uint8 and noisy.shape == img.shape
    assert np.array_equal(noisy, add_sensor_noise(img, np.random.default_rng(1), 5.0))
    assert 1.0 < np.abs(noisy.astype(int) - img.astype(int)).mean() < 8.0
    jp = jpeg_roundtrip(img, 70)
    assert jp.shape == img.shape and jp.dtype == np.uint8
    assert np.abs(jp.astype(int) - img.astype(int)).mean() < 6.0
