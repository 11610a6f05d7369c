"""Validated ACL parameters (`acl:` in conf/*/parameters_acl.yml).

As for IAL, every key must be present, so each value a run used is visible in the YAML; each
error names the key and what is allowed. The network (backbone, image size, classes) comes
from `ial_model`, so it is not a parameter here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from rmfer.data.transforms import Augmentation
from rmfer.training.checks import Checker, require_keys
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
        require_keys(params, (f.name for f in fields(cls)), "acl", AclParameterError)
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
        check = Checker(self, "acl", AclParameterError)
        for key in ("seed", "num_workers", "mining_quality.seed"):
            check.integer(key, 0)
        for key in ("epochs", "anchors_per_batch", "positives", "negatives", "eval_batch_size"):
            check.integer(key, 1)
        for key in ("min_positives", "min_negatives", "mining_quality.anchors"):
            check.integer(key, 1)
        for key in ("threads", "steps_per_epoch", "samples_per_class", "early_stopping_patience"):
            check.integer(key, 1, optional=True)
        check.integer("batch_size", 2)
        check.integer("max_attention_samples", 2)
        check.require(self.min_positives <= self.positives, "min_positives", "<= acl.positives")
        check.require(self.min_negatives <= self.negatives, "min_negatives", "<= acl.negatives")
        check.number("window_s", 1e-6, 1e6)
        check.number("distance_s", 1e-6, 1e6)
        check.number("rho", 1e-6, 1.0)
        check.number("tau", 1e-3, 1e3, optional=True)
        check.number("mu", 0.0, 1e3)
        check.number("lambda_att", 0.0, 1e3)
        check.number("sam_rho", 1e-6, 10.0)
        check.number("lr", 1e-12, 10.0)
        check.number("weight_decay", 0.0, 1.0)
        check.number("warmup_epochs", 0.0, 1e6)
        check.number("grad_clip", 1e-6, 1e6, optional=True)
        check.number("validation_fraction", 0.0, 0.5)
        check.number("mining_quality.iou", 0.0, 1.0)
        for key in ("balanced_sampler", "prior", "amp", "progress"):
            check.flag(key)
        check.require(
            isinstance(self.faces_dir, str) and bool(self.faces_dir), "faces_dir", "a folder"
        )
        truth = self.mining_quality.truth_dir
        check.require(
            truth is None or isinstance(truth, str), "mining_quality.truth_dir", "a folder"
        )
        check.choice("optimiser", OPTIMISERS)
        check.choice("sam_base", BASE_OPTIMISERS)
        check.choice("scheduler", SCHEDULERS)
        check.choice("validation_split", VALIDATION_SPLITS)
        check.choice("best_metric", BEST_METRICS)
        check.device()
