"""Validated parameters of the demo world (`conf/base/parameters_synth.yml`).

Every key is required and has its value in `conf/base`; errors name the key as written there
(`synth.videos.fps`) and what is allowed, so a user editing that file knows what to fix.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from rmfer.errors import ParameterError
from rmfer.labels import CANONICAL_LABELS, canonical_id
from rmfer.params import Checker, parse

MAX_REACTORS = 9  # the largest grid the mashup layouts tile (3x3)
_RAFDB_LABELS = list(CANONICAL_LABELS[:7])  # RAF-DB has no Contempt (docs/data-formats.md)


@dataclass(frozen=True)
class BenchmarkParams:
    """The labeled benchmark, written in the RAF-DB layout."""

    classes: tuple[str, ...]  # canonical names, in the order given
    identities_train: int
    identities_test: int
    per_class_train: int
    per_class_test: int
    annotation_noise: float
    align_jitter: float
    aligned_size: int
    original_size: int
    jpeg_quality_min: int
    jpeg_quality_max: int


@dataclass(frozen=True)
class VideoParams:
    """The reaction mashup videos and the film each one reacts to."""

    count: int
    duration_s: float
    fps: int
    width: int
    height: int
    reactors_min: int
    reactors_max: int
    layout_change_prob: float
    segment_min_s: float
    segment_max_s: float
    event_rate_per_min: float
    crf: int


@dataclass(frozen=True)
class SynthParams:
    """Everything the demo world is generated from, and how it is rendered and where it goes."""

    seed: int
    workers: int | None  # rendering processes; None = every core
    videos_dir: str  # where collect will find the videos (rm_sources.csv)
    benchmark: BenchmarkParams
    videos: VideoParams

    @classmethod
    def from_dict(cls, params: dict[str, Any]) -> SynthParams:
        """Parse and check the `synth` block; refuse an environment that disabled it."""
        if isinstance(params, dict) and params.get("disabled"):
            raise ParameterError(f"parameter synth.disabled is set: {params['disabled']}")
        parsed = parse(cls, params, "synth")
        check = Checker(parsed, "synth")
        check.integer("seed", 0)
        check.integer("workers", 1, optional=True)
        check.text("videos_dir")
        classes = _canonical_classes(parsed.benchmark.classes)
        _check_benchmark(check)
        _check_videos(check)
        return dataclasses.replace(
            parsed,
            benchmark=_floats(
                dataclasses.replace(parsed.benchmark, classes=classes),
                "annotation_noise",
                "align_jitter",
            ),
            videos=_floats(
                parsed.videos,
                "duration_s",
                "layout_change_prob",
                "segment_min_s",
                "segment_max_s",
                "event_rate_per_min",
            ),
        )


def _floats(params: Any, *names: str) -> Any:
    """The same dataclass with these fields as floats (YAML writes `30` for 30.0)."""
    return dataclasses.replace(params, **{name: float(getattr(params, name)) for name in names})


def _canonical_classes(classes: Any) -> tuple[str, ...]:
    """At least two distinct RAF-DB expressions, as canonical names."""
    key = "synth.benchmark.classes"
    if not (isinstance(classes, list) and len(classes) >= 2):
        raise ParameterError(
            f"parameter {key} = {classes!r} is invalid; "
            f"allowed: a list of at least two of {_RAFDB_LABELS}"
        )
    canonical = []
    for name in classes:
        try:
            label = canonical_id(str(name))
        except ValueError:
            label = None
        if label is None:
            raise ParameterError(
                f"parameter {key} holds unknown expression {name!r}; "
                f"allowed: {_RAFDB_LABELS} (RAF-DB has no Contempt)"
            )
        if label >= len(_RAFDB_LABELS):
            raise ParameterError(
                f"parameter {key} holds {name!r}, which RAF-DB does not label; "
                f"allowed: {_RAFDB_LABELS}"
            )
        canonical.append(CANONICAL_LABELS[label])
    if len(set(canonical)) != len(canonical):
        raise ParameterError(f"parameter {key} = {classes!r} is invalid; allowed: no repeats")
    return tuple(canonical)


def _check_benchmark(check: Checker) -> None:
    check.integer("benchmark.jpeg_quality_min", 10, 100)
    check.integer("benchmark.jpeg_quality_max", check.value("benchmark.jpeg_quality_min"), 100)
    check.integer("benchmark.aligned_size", 32, 512)
    for key in ("identities_train", "identities_test", "per_class_train", "per_class_test"):
        check.integer(f"benchmark.{key}", 1)
    check.number("benchmark.annotation_noise", 0.0, 1.0)
    check.number("benchmark.align_jitter", 0.0, 0.5)
    check.integer("benchmark.original_size", check.value("benchmark.aligned_size"), 1024)


def _check_videos(check: Checker) -> None:
    check.integer("videos.reactors_min", 2, MAX_REACTORS)
    reactors_min = check.value("videos.reactors_min")
    reactors_max = check.value("videos.reactors_max")
    check.require(
        isinstance(reactors_max, int)
        and not isinstance(reactors_max, bool)
        and reactors_min <= reactors_max <= MAX_REACTORS,
        "videos.reactors_max",
        f"an integer from reactors_min ({reactors_min}) to {MAX_REACTORS}, "
        "the tiles of the largest grid (3x3)",
    )
    check.number("videos.segment_min_s", 0.5, 600.0)
    check.integer("videos.count", 1)
    check.number("videos.duration_s", 1.0, 3600.0)
    check.integer("videos.fps", 1, 60)
    check.integer("videos.width", 160, 1920)
    check.integer("videos.height", 120, 1080)
    check.number("videos.layout_change_prob", 0.0, 1.0)
    check.number("videos.segment_max_s", check.value("videos.segment_min_s"), 600.0)
    check.number("videos.event_rate_per_min", 0.0, 60.0)
    check.integer("videos.crf", 0, 51)
