"""The labeled demo benchmark, written in RAF-DB's layout so that the real reader reads it.

Labels come from a noisy perception of each face's expression mixture, as real annotators
disagree; train and test identities are disjoint.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from rmfer.faces.align import align_face
from rmfer.labels import CANONICAL_LABELS
from rmfer.synth.expressions import mixture_to_aus
from rmfer.synth.face import (
    Pose,
    add_sensor_noise,
    composite,
    encode_jpeg,
    render_face,
    sample_background,
    sample_lighting,
)
from rmfer.synth.film import NUM_EXPRESSIONS
from rmfer.synth.identity import Identity
from rmfer.synth.params import BenchmarkParams

# RAF-DB's basic label ids (1..7) for each canonical id (docs/data-formats.md).
CANONICAL_TO_RAFDB = {0: 7, 1: 4, 2: 5, 3: 1, 4: 2, 5: 3, 6: 6}
SPLITS = ("train", "test")
_NAME_DIGITS = {"train": 5, "test": 4}


@dataclass(frozen=True)
class BenchmarkItem:
    """One labeled image: who, what they really show, what the annotators said."""

    split: str
    index: int  # 1-based, as in RAF-DB's file names
    identity_idx: int
    mixture: np.ndarray  # effective mixture over the 8 canonical expressions
    label: int  # canonical id perceived by the annotators
    seed: int

    @property
    def stem(self) -> str:
        return f"{self.split}_{self.index:0{_NAME_DIGITS[self.split]}d}"


def plan_items(
    rng: np.random.Generator, params: BenchmarkParams, identities_per_split: dict[str, list[int]]
) -> list[BenchmarkItem]:
    """Draw faces until every label has its quota; a label is what the annotators perceive."""
    class_ids = [CANONICAL_LABELS.index(name) for name in params.classes]
    items: list[BenchmarkItem] = []
    for split in SPLITS:
        quota = params.per_class_train if split == "train" else params.per_class_test
        remaining = {c: quota for c in class_ids}
        drawn: list[BenchmarkItem] = []
        while any(remaining.values()):
            open_classes = [c for c in class_ids if remaining[c] > 0]
            target = int(rng.choice(open_classes))
            mixture = _sample_mixture(rng, target, class_ids)
            perceived = mixture[class_ids] + params.annotation_noise * rng.dirichlet(
                np.ones(len(class_ids))
            )
            label = class_ids[int(np.argmax(perceived))]
            if remaining[label] == 0:
                continue
            remaining[label] -= 1
            identity = int(rng.choice(identities_per_split[split]))
            seed = int(rng.integers(2**31))
            drawn.append(BenchmarkItem(split, 0, identity, mixture, label, seed))
        order = rng.permutation(len(drawn))
        for index, k in enumerate(order, start=1):
            item = drawn[k]
            items.append(
                BenchmarkItem(split, index, item.identity_idx, item.mixture, item.label, item.seed)
            )
    return items


def _sample_mixture(rng: np.random.Generator, target: int, class_ids: list[int]) -> np.ndarray:
    """An effective mixture dominated by `target`, blended with one other class and neutral."""
    mixture = np.zeros(NUM_EXPRESSIONS)
    if target == 0:
        mixture[0] = 1.0
        other = int(rng.choice(class_ids))
        mixture[0] -= (blend := rng.uniform(0.0, 0.3))
        mixture[other] += blend
        return mixture
    intensity = rng.uniform(0.35, 1.0)
    purity = rng.uniform(0.6, 1.0)
    other = int(rng.choice([c for c in class_ids if c not in (0, target)] or [target]))
    mixture[target] += intensity * purity
    mixture[other] += intensity * (1 - purity)
    mixture[0] += 1 - intensity
    return mixture


def render_item(
    item: BenchmarkItem, identity: Identity, params: BenchmarkParams
) -> tuple[bytes, bytes]:
    """The original image and the aligned crop of one item, as JPEG bytes."""
    rng = np.random.default_rng(item.seed)
    canvas = sample_background(rng, params.original_size, params.original_size)
    size = int(params.original_size * rng.uniform(0.7, 0.9))
    face = render_face(
        identity,
        mixture_to_aus(item.mixture, 1.0),
        size,
        pose=Pose(yaw=rng.normal(0, 10), pitch=rng.normal(0, 5), roll=rng.normal(0, 6)),
        lighting=sample_lighting(rng),
    )
    x = int(rng.integers(0, params.original_size - size + 1))
    y = int(rng.integers(0, params.original_size - size + 1))
    _, landmarks = composite(canvas, face, x, y)
    landmarks = _annotator_landmarks(rng, landmarks, params.align_jitter)
    canvas = add_sensor_noise(canvas, rng, sigma=float(rng.uniform(1.0, 5.0)))
    quality = int(rng.integers(params.jpeg_quality_min, params.jpeg_quality_max + 1))
    original = encode_jpeg(canvas, quality)
    decoded = cv2.imdecode(np.frombuffer(original, np.uint8), cv2.IMREAD_COLOR)[:, :, ::-1]
    aligned = align_face(decoded, landmarks, params.aligned_size)
    return original, encode_jpeg(aligned, 95)


def _annotator_landmarks(
    rng: np.random.Generator, landmarks: np.ndarray, jitter: float
) -> np.ndarray:
    """Landmarks as an imperfect detector finds them, so aligned crops are not pixel-registered.

    Real aligned benchmarks carry this error; without it, expressions would sit at fixed pixels
    and a linear model on raw pixels would do as well as a CNN.
    """
    eyes = landmarks[:2]
    scale = float(np.linalg.norm(eyes[1] - eyes[0])) * jitter
    centre = landmarks.mean(axis=0)
    angle = np.deg2rad(rng.normal(0.0, 30.0 * jitter))
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    zoom = float(np.exp(rng.normal(0.0, 0.5 * jitter)))
    moved = (landmarks - centre) @ rotation.T * zoom + centre + rng.normal(0.0, scale, 2)
    return (moved + rng.normal(0.0, 0.25 * scale, landmarks.shape)).astype(np.float32)


def label_file_text(items: list[BenchmarkItem]) -> str:
    """`list_patition_label.txt`: one 'name rafdb_label' line per image, train then test."""
    return "".join(f"{item.stem}.jpg {CANONICAL_TO_RAFDB[item.label]}\n" for item in items)
