"""Validated IAL parameters (`ial:` in conf/*/parameters_ial.yml).

Every key must be present, so that each value a run used is visible in the YAML; each error
names the key and what is allowed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from rmfer.data.transforms import Augmentation
from rmfer.training.checks import Checker, require_keys

OPTIMISERS = ("adam", "adamw", "sgd", "sam")
BASE_OPTIMISERS = ("adam", "adamw", "sgd")
SCHEDULERS = ("cosine", "constant")
VALIDATION_SPLITS = ("auto", "validation", "test", "train_fraction")
BEST_METRICS = ("mean_class_accuracy", "accuracy")


class IalParameterError(ValueError):
    """An `ial.*` parameter is missing, unknown or out of range."""


@dataclass(frozen=True)
class IalParams:
    seed: int
    device: str  # auto | cpu | cuda | cuda:N
    threads: int | None  # CPU threads for torch; None keeps torch's default
    backbone: str
    pretrained_weights: str | None
    image_size: int
    drop_rate: float
    num_classes: int | None  # None: 8 when the index holds Contempt, else 7
    soft_labels: bool
    validation_split: str
    validation_fraction: float
    epochs: int
    batch_size: int
    balanced_sampler: bool
    samples_per_class: int | None  # None: batch_size // classes
    optimiser: str
    sam_base: str
    sam_rho: float
    lr: float
    weight_decay: float
    scheduler: str
    warmup_epochs: float
    grad_clip: float | None
    lambda_att: float
    tau: float
    augmentation: Augmentation
    best_metric: str
    early_stopping_patience: int | None
    num_workers: int
    eval_batch_size: int
    amp: bool
    max_attention_samples: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, params: dict[str, Any]) -> IalParams:
        require_keys(params, (f.name for f in fields(cls)), "ial", IalParameterError)
        values = dict(params)
        try:
            values["augmentation"] = Augmentation.from_dict(values["augmentation"])
        except (TypeError, ValueError) as error:
            raise IalParameterError(f"parameter ial.augmentation: {error}") from None
        result = cls(**values)
        result._check()
        return result

    def _check(self) -> None:
        check = Checker(self, "ial", IalParameterError)
        for key in ("seed", "num_workers"):
            check.integer(key, 0)
        for key in ("epochs", "eval_batch_size"):
            check.integer(key, 1)
        for key in ("threads", "samples_per_class", "early_stopping_patience"):
            check.integer(key, 1, optional=True)
        check.integer("image_size", 16)
        check.integer("batch_size", 2)
        check.integer("max_attention_samples", 2)
        check.require(self.num_classes in (None, 7, 8), "num_classes", "7, 8 or null")
        check.number("drop_rate", 0.0, 0.9)
        check.number("validation_fraction", 0.0, 0.5)
        check.number("sam_rho", 1e-6, 10.0)
        check.number("lr", 1e-9, 10.0)
        check.number("weight_decay", 0.0, 1.0)
        check.number("warmup_epochs", 0.0, 1e6)
        check.number("grad_clip", 1e-6, 1e6, optional=True)
        check.number("lambda_att", 0.0, 1e3)
        check.number("tau", 1e-3, 1e3)
        check.require(
            isinstance(self.backbone, str) and bool(self.backbone), "backbone", "a timm model name"
        )
        check.choice("optimiser", OPTIMISERS)
        check.choice("sam_base", BASE_OPTIMISERS)
        check.choice("scheduler", SCHEDULERS)
        check.choice("validation_split", VALIDATION_SPLITS)
        check.choice("best_metric", BEST_METRICS)
        for key in ("soft_labels", "balanced_sampler", "amp"):
            check.flag(key)
        check.device()
