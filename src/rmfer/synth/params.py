"""Validated parameters of the demo world.

Every check names the parameter by its full key and the allowed values, because these come
from `conf/base/parameters_synth.yml` and a user editing that file needs to know what to fix.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from rmfer.labels import CANONICAL_LABELS, canonical_id

MAX_REACTORS = 9  # the largest grid the mashup layouts tile (3x3)


class SynthParameterError(ValueError):
    """A demo-world parameter is out of range or unknown."""


def _require(condition: bool, key: str, value: Any, allowed: str) -> None:
    if not condition:
        raise SynthParameterError(
            f"parameter synth.{key} = {value!r} is invalid; allowed: {allowed}"
        )


def _int(section: dict[str, Any], prefix: str, name: str, low: int, high: int | None = None) -> int:
    value = section[name]
    key = f"{prefix}.{name}"
    _require(isinstance(value, int) and not isinstance(value, bool), key, value, "an integer")
    upper = "" if high is None else f" and <= {high}"
    _require(value >= low and (high is None or value <= high), key, value, f">= {low}{upper}")
    return value


def _float(section: dict[str, Any], prefix: str, name: str, low: float, high: float) -> float:
    value = section[name]
    key = f"{prefix}.{name}"
    _require(
        isinstance(value, (int, float)) and not isinstance(value, bool), key, value, "a number"
    )
    _require(low <= value <= high, key, value, f"a number in [{low}, {high}]")
    return float(value)


def _known_keys(section: dict[str, Any], prefix: str, cls: type) -> None:
    allowed = {f.name for f in fields(cls)}
    for key in section:
        _require(key in allowed, f"{prefix}.{key}", section[key], f"keys {sorted(allowed)}")
    missing = allowed - set(section)
    if missing:
        raise SynthParameterError(f"parameters synth.{prefix} lack {sorted(missing)}")


@dataclass(frozen=True)
class BenchmarkParams:
    """The labeled benchmark, written in the RAF-DB layout."""

    classes: tuple[str, ...]
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

    @classmethod
    def from_dict(cls, section: dict[str, Any]) -> BenchmarkParams:
        prefix = "benchmark"
        _known_keys(section, prefix, cls)
        classes = section["classes"]
        _require(
            isinstance(classes, list) and len(classes) >= 2,
            f"{prefix}.classes",
            classes,
            f"a list of at least two of {list(CANONICAL_LABELS[:7])}",
        )
        for name in classes:
            try:
                canonical_id(str(name))
            except ValueError:
                raise SynthParameterError(
                    f"parameter synth.{prefix}.classes holds unknown expression {name!r}; "
                    f"allowed: {list(CANONICAL_LABELS[:7])} (RAF-DB has no Contempt)"
                ) from None
            _require(
                canonical_id(str(name)) < 7,
                f"{prefix}.classes",
                name,
                f"names among {list(CANONICAL_LABELS[:7])} (RAF-DB has no Contempt)",
            )
        canonical = tuple(CANONICAL_LABELS[canonical_id(str(n))] for n in classes)
        _require(len(set(canonical)) == len(canonical), f"{prefix}.classes", classes, "no repeats")
        quality_min = _int(section, prefix, "jpeg_quality_min", 10, 100)
        quality_max = _int(section, prefix, "jpeg_quality_max", quality_min, 100)
        aligned = _int(section, prefix, "aligned_size", 32, 512)
        return cls(
            classes=canonical,
            identities_train=_int(section, prefix, "identities_train", 1),
            identities_test=_int(section, prefix, "identities_test", 1),
            per_class_train=_int(section, prefix, "per_class_train", 1),
            per_class_test=_int(section, prefix, "per_class_test", 1),
            annotation_noise=_float(section, prefix, "annotation_noise", 0.0, 1.0),
            align_jitter=_float(section, prefix, "align_jitter", 0.0, 0.5),
            aligned_size=aligned,
            original_size=_int(section, prefix, "original_size", aligned, 1024),
            jpeg_quality_min=quality_min,
            jpeg_quality_max=quality_max,
        )


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

    @classmethod
    def from_dict(cls, section: dict[str, Any]) -> VideoParams:
        prefix = "videos"
        _known_keys(section, prefix, cls)
        reactors_min = _int(section, prefix, "reactors_min", 2, MAX_REACTORS)
        reactors_max = section["reactors_max"]
        _require(
            isinstance(reactors_max, int) and reactors_min <= reactors_max <= MAX_REACTORS,
            f"{prefix}.reactors_max",
            reactors_max,
            f"an integer from reactors_min ({reactors_min}) to {MAX_REACTORS}, "
            f"the tiles of the largest grid (3x3)",
        )
        segment_min = _float(section, prefix, "segment_min_s", 0.5, 600.0)
        return cls(
            count=_int(section, prefix, "count", 1),
            duration_s=_float(section, prefix, "duration_s", 1.0, 3600.0),
            fps=_int(section, prefix, "fps", 1, 60),
            width=_int(section, prefix, "width", 160, 1920),
            height=_int(section, prefix, "height", 120, 1080),
            reactors_min=reactors_min,
            reactors_max=reactors_max,
            layout_change_prob=_float(section, prefix, "layout_change_prob", 0.0, 1.0),
            segment_min_s=segment_min,
            segment_max_s=_float(section, prefix, "segment_max_s", segment_min, 600.0),
            event_rate_per_min=_float(section, prefix, "event_rate_per_min", 0.0, 60.0),
            crf=_int(section, prefix, "crf", 0, 51),
        )


@dataclass(frozen=True)
class SynthParams:
    """Everything the demo world is generated from."""

    seed: int
    benchmark: BenchmarkParams
    videos: VideoParams

    @classmethod
    def from_dict(cls, params: dict[str, Any]) -> SynthParams:
        if params.get("disabled"):
            raise SynthParameterError(f"parameter synth.disabled is set: {params['disabled']}")
        for key in ("seed", "benchmark", "videos"):
            if key not in params:
                raise SynthParameterError(f"parameters synth lack {key!r}")
        seed = params["seed"]
        _require(isinstance(seed, int) and seed >= 0, "seed", seed, "an integer >= 0")
        return cls(
            seed=seed,
            benchmark=BenchmarkParams.from_dict(dict(params["benchmark"])),
            videos=VideoParams.from_dict(dict(params["videos"])),
        )
