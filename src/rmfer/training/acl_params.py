"""Validated ACL parameters (`acl:` in conf/*/parameters_acl.yml).

As for IAL, every key must be present, so each value a run used is visible in the YAML; each
error names the key and what is allowed. The network (backbone, image size, classes) comes
from `ial_model`, so it is not a parameter here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from rmfer.data.transforms import Augmentation
from rmfer.training.params import (
    BASE_OPTIMISERS,
    BEST_METRICS,
    OPTIMISERS,
    SCHEDULERS,
    VALIDATION_SPLITS,
)


class AclParameterError(ValueError):
    """An `acl.*` parameter is missing, unknown or out of range."""


@dataclass(frozen=True)
class MiningQualityParams:
    """The demo-only measurement of mining against the synthetic world's sidecars."""

    truth_dir: str | None  # folder of <video_id>.parquet sidecars; null: nothing to measure
    anchors: int  # anchors drawn for the measurement (with all their candidates)
    iou: float  # a face_tracks row is the sidecar row of its frame it overlaps at least this
    seed: int


@dataclass(frozen=True)
class AclParams:
    seed: int
    device: str  # auto | cpu | cuda | cuda:N
    threads: int | None
    faces_dir: str  # the rm_faces folder (the catalog's path, from globals.yml)
    epochs: int
    steps_per_epoch: int | None  # None: one pass over the labeled training split
    batch_size: int  # labeled images per step
    balanced_sampler: bool
    samples_per_class: int | None
    anchors_per_batch: int  # RM anchors per step, each with its candidates
    window_s: float  # positives: other persons within this many seconds (film clock)
    distance_s: float  # negatives: the same person more than this many seconds away
    positives: int  # positive candidates drawn per anchor
    negatives: int  # negative candidates drawn per anchor
    min_positives: int  # fewer candidates than these: the anchor is skipped and counted
    min_negatives: int
    prior: bool  # the similarity prior; false: time-only mining (the ablation)
    rho: float  # keep positives above the (1 - rho) quantile, negatives below the rho one
    tau: float | None  # s = cos / tau; None: the ial_model's tau
    mu: float  # L = L_IAL + mu * L_ACL
    lambda_att: float
    optimiser: str
    sam_base: str
    sam_rho: float
    lr: float
    weight_decay: float
    scheduler: str
    warmup_epochs: float
    grad_clip: float | None
    augmentation: Augmentation  # labeled images; RM faces get its flip only
    validation_split: str
    validation_fraction: float
    best_metric: str
    early_stopping_patience: int | None
    num_workers: int
    eval_batch_size: int  # also the chunk size of the prior's scoring pass
    amp: bool
    max_attention_samples: int
    progress: bool
    mining_quality: MiningQualityParams

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, params: dict[str, Any]) -> AclParams:
        allowed = {f.name for f in fields(cls)}
        unknown = sorted(set(params) - allowed)
        missing = sorted(allowed - set(params))
        if unknown:
            raise AclParameterError(f"unknown parameters {['acl.' + k for k in unknown]}")
        if missing:
            raise AclParameterError(f"parameters acl lack {missing}")
        values = dict(params)
        try:
            values["augmentation"] = Augmentation.from_dict(values["augmentation"])
        except (TypeError, ValueError) as error:
            raise AclParameterError(f"parameter acl.augmentation: {error}") from None
        quality = values["mining_quality"]
        expected = {f.name for f in fields(MiningQualityParams)}
        if not isinstance(quality, dict) or set(quality) != expected:
            raise AclParameterError(
                f"parameter acl.mining_quality needs exactly {sorted(expected)}"
            )
        values["mining_quality"] = MiningQualityParams(**quality)
        result = cls(**values)
        result._check()
        return result

    def _check(self) -> None:
        def require(ok: bool, key: str, allowed: str) -> None:
            if not ok:
                value = _get(self, key)
                raise AclParameterError(
                    f"parameter acl.{key} = {value!r} is invalid; allowed: {allowed}"
                )

        def integer(key: str, low: int, optional: bool = False) -> None:
            value = _get(self, key)
            ok = (optional and value is None) or (
                isinstance(value, int) and not isinstance(value, bool) and value >= low
            )
            require(ok, key, f"an integer >= {low}" + (" or null" if optional else ""))

        def number(key: str, low: float, high: float, optional: bool = False) -> None:
            value = _get(self, key)
            ok = (optional and value is None) or (
                isinstance(value, (int, float))
                and not isinstance(value, bool)
                and low <= value <= high
            )
            require(ok, key, f"a number in [{low}, {high}]" + (" or null" if optional else ""))

        def flag(key: str) -> None:
            require(isinstance(_get(self, key), bool), key, "true or false")

        for key in ("seed", "num_workers", "mining_quality.seed"):
            integer(key, 0)
        for key in ("epochs", "anchors_per_batch", "positives", "negatives", "eval_batch_size"):
            integer(key, 1)
        for key in ("min_positives", "min_negatives", "mining_quality.anchors"):
            integer(key, 1)
        integer("threads", 1, optional=True)
        integer("steps_per_epoch", 1, optional=True)
        integer("batch_size", 2)
        integer("samples_per_class", 1, optional=True)
        integer("early_stopping_patience", 1, optional=True)
        integer("max_attention_samples", 2)
        require(self.min_positives <= self.positives, "min_positives", "<= acl.positives")
        require(self.min_negatives <= self.negatives, "min_negatives", "<= acl.negatives")
        number("window_s", 1e-6, 1e6)
        number("distance_s", 1e-6, 1e6)
        number("rho", 1e-6, 1.0)
        number("tau", 1e-3, 1e3, optional=True)
        number("mu", 0.0, 1e3)
        number("lambda_att", 0.0, 1e3)
        number("sam_rho", 1e-6, 10.0)
        number("lr", 1e-12, 10.0)
        number("weight_decay", 0.0, 1.0)
        number("warmup_epochs", 0.0, 1e6)
        number("grad_clip", 1e-6, 1e6, optional=True)
        number("validation_fraction", 0.0, 0.5)
        number("mining_quality.iou", 0.0, 1.0)
        for key in ("balanced_sampler", "prior", "amp", "progress"):
            flag(key)
        require(isinstance(self.faces_dir, str) and bool(self.faces_dir), "faces_dir", "a folder")
        truth = self.mining_quality.truth_dir
        require(truth is None or isinstance(truth, str), "mining_quality.truth_dir", "a folder")
        require(self.optimiser in OPTIMISERS, "optimiser", str(OPTIMISERS))
        require(self.sam_base in BASE_OPTIMISERS, "sam_base", str(BASE_OPTIMISERS))
        require(self.scheduler in SCHEDULERS, "scheduler", str(SCHEDULERS))
        require(
            self.validation_split in VALIDATION_SPLITS, "validation_split", str(VALIDATION_SPLITS)
        )
        require(self.best_metric in BEST_METRICS, "best_metric", str(BEST_METRICS))
        device_ok = self.device in ("auto", "cpu") or str(self.device).startswith("cuda")
        require(device_ok, "device", "auto, cpu, cuda or cuda:N")


def _get(params: AclParams, key: str) -> Any:
    value: Any = params
    for part in key.split("."):
        value = getattr(value, part)
    return value
