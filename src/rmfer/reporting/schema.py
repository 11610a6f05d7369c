"""The report's data, typed once: what evaluate writes to evaluation.json and metrics.json, and
what report.md, the figures, the notebook and the tests read back.

The files stay plain JSON (DVC reads metrics.json), so their records are TypedDicts: the writer
(`rmfer.reporting.summary`) builds them and every reader names the same keys through them.
`ModelResult` is the in-memory record of one model on the test split that the evaluate nodes
pass along (arrays included); it is never written as is.
"""

# No `from __future__ import annotations` here: TypedDict reads NotRequired[...] from evaluated
# annotations only (Python 3.11), and tests check the writer against __required_keys__.
from dataclasses import dataclass, field
from typing import Any, Literal, NotRequired, TypedDict

import numpy as np

MODELS = ("baseline", "ial", "control", "acl")  # the report's order
MODEL_TITLES = {
    "baseline": "Baseline (CE only)",
    "ial": "IAL",
    "control": "IAL continued (mu = 0)",  # the control: ACL's training with L_ACL off
    "acl": "IAL + ACL",
}
DIGITS = 4  # metrics.json and the report carry the same rounded numbers
HEADLINE_KEYS = (
    "accuracy",
    "mean_class_accuracy",
    "attention_diagonal_mass",
    "similarity_same",
    "similarity_different",
)
FACETRACK_KEYS = (
    "recall",
    "recall_without_away_occluded",
    "precision",
    "purity_weighted",
    "ids_per_reactor",
)
MINING_KINDS = ("time_only", "prior")  # mined pairs without, then with, the similarity prior
MINING_SIDES = ("positive", "negative")


@dataclass
class ModelResult:
    """What the comparison needs of one model; `trained` False leaves the arrays empty."""

    name: str
    trained: bool
    reason: str = ""
    label_names: list[str] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)
    labels: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    predicted: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    features: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    embeddings: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    seconds: float = 0.0
    info: dict[str, Any] = field(default_factory=dict)  # the checkpoint's `extra` (stage, params)


# evaluation.json ---------------------------------------------------------------------------


class UntrainedModel(TypedDict):
    trained: Literal[False]
    reason: str


class TrainedModel(TypedDict):
    """How a model was trained, then `rmfer.training.scoring`'s metrics on the test split."""

    trained: Literal[True]
    title: str
    stage: str | None
    epochs: int | None
    lambda_att: float | None
    best_epoch: int | None
    test_images: int
    evaluate_seconds: float
    stage_test_accuracy: float | None  # the training stage's own test accuracy
    accuracy: float
    mean_class_accuracy: float
    per_class_recall: dict[str, float]
    confusion_matrix: list[list[int]]  # rows: true class, columns: predicted
    # the attention diagnostics, present when the split has at least two samples
    attention_matrix: NotRequired[list[list[float]]]
    attention_diagonal_mass: NotRequired[float]
    similarity_same: NotRequired[float]
    similarity_different: NotRequired[float]
    attention_accuracy: NotRequired[float]


ModelEntry = TrainedModel | UntrainedModel


class EmbeddingInfo(TypedDict):
    method: str
    space: str  # features | embeddings
    perplexity: float
    samples: dict[str, int]  # per model
    seconds: float


class FacetrackCounts(TypedDict):
    videos: dict[str, int] | None  # total, done, skipped, failed
    sampled_frames: int | None
    detections: int | None
    faces: int | None
    persons: int | None
    drops: dict[str, int] | None


class FacetrackFigures(TypedDict):
    """facetrack's counts, and its quality against the demo's sidecars when measured."""

    available: bool
    counts: FacetrackCounts
    note: NotRequired[str]  # when not available: why
    iou: NotRequired[float | None]
    videos_measured: NotRequired[int | None]
    overall: NotRequired[dict[str, float]]  # FACETRACK_KEYS among others


class PairPrecision(TypedDict):
    precision: float | None
    pairs: int


class MinedPairs(TypedDict):
    positive: PairPrecision
    negative: PairPrecision


class MiningFigures(TypedDict):
    anchors: int
    time_only: MinedPairs
    prior: MinedPairs


class MiningQuality(TypedDict):
    """acl_metrics.json's `mining_quality`, as ACL measured it with ial_model's prior."""

    available: bool
    note: NotRequired[str]  # when not available: why
    videos_with_truth: NotRequired[int]
    videos_without_truth: NotRequired[list[str]]
    faces_matched: NotRequired[float]
    rho: NotRequired[float]
    window_s: NotRequired[float]
    distance_s: NotRequired[float]
    ial_model: NotRequired[MiningFigures]
    seconds: NotRequired[float]


class StageSeconds(TypedDict):
    stage: str
    seconds: float | None  # None: not recorded
    source: str


class Evaluation(TypedDict):
    """evaluation.json: per model everything measured, and the run's context for the report."""

    dataset: str | None
    test_images: int
    label_names: list[str]
    models: dict[str, ModelEntry]  # in MODELS' order
    embedding: EmbeddingInfo
    facetrack: FacetrackFigures
    mining: MiningQuality
    stage_seconds: list[StageSeconds]
    parameters: dict[str, Any]  # per stage, as the artifacts record them


def trained_models(evaluation: Evaluation) -> list[tuple[str, TrainedModel]]:
    """The models that have numbers, in the report's order."""
    return [(name, entry) for name, entry in evaluation["models"].items() if entry["trained"]]


# metrics.json ------------------------------------------------------------------------------


class UntrainedHeadline(TypedDict):
    trained: Literal[False]


class TrainedHeadline(TypedDict):
    """HEADLINE_KEYS rounded to DIGITS (None where not measured), and the recall per class."""

    trained: Literal[True]
    accuracy: float | None
    mean_class_accuracy: float | None
    attention_diagonal_mass: float | None
    similarity_same: float | None
    similarity_different: float | None
    per_class_recall: dict[str, float | None]


HeadlineModel = TrainedHeadline | UntrainedHeadline


class Metrics(TypedDict):
    """metrics.json: the report's numbers, rounded as it prints them (`dvc metrics show`)."""

    models: dict[str, HeadlineModel]
    facetrack: NotRequired[dict[str, float | None]]  # FACETRACK_KEYS, when measured
    mining: NotRequired[dict[str, float | None]]  # mining_key(side, kind), when measured
    seconds: dict[str, float]  # per stage that recorded its time


def mining_key(side: str, kind: str) -> str:
    """metrics.json's name of a mining precision: `positive_precision_prior` and so on."""
    return f"{side}_precision_{kind}"
