"""Validated IAL parameters (`ial:` in conf/*/parameters_ial.yml).

Every key must be present, so that each value a run used is visible in the YAML; each error
names the key and what is allowed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from rmfer.data.transforms import Augmentation

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
        allowed = {f.name for f in fields(cls)}
        unknown = sorted(set(params) - allowed)
        missing = sorted(allowed - set(params))
        if unknown:
            raise IalParameterError(f"unknown parameters {['ial.' + k for k in unknown]}")
        if missing:
            raise IalParameterError(f"parameters ial lack {missing}")
        values = dict(params)
        try:
            values["augmentation"] = Augmentation.from_dict(values["augmentation"])
        except (TypeError, ValueError) as error:
            raise IalParameterError(f"parameter ial.augmentation: {error}") from None
        result = cls(**values)
        result._check()
        return result

    def _check(self) -> None:
        def require(ok: bool, key: str, allowed: str) -> None:
            if not ok:
                value = getattr(self, key)
                raise IalParameterError(
                    f"parameter ial.{key} = {value!r} is invalid; allowed: {allowed}"
                )

        def integer(key: str, low: int, optional: bool = False) -> None:
            value = getattr(self, key)
            ok = (optional and value is None) or (
                isinstance(value, int) and not isinstance(value, bool) and value >= low
            )
            require(ok, key, f"an integer >= {low}" + (" or null" if optional else ""))

        def number(key: str, low: float, high: float, optional: bool = False) -> None:
            value = getattr(self, key)
            ok = (optional and value is None) or (
                isinstance(value, (int, float))
                and not isinstance(value, bool)
                and low <= value <= high
            )
            require(ok, key, f"a number in [{low}, {high}]" + (" or null" if optional else ""))

        integer("seed", 0)
        integer("threads", 1, optional=True)
        integer("image_size", 16)
        require(self.num_classes in (None, 7, 8), "num_classes", "7, 8 or null")
        integer("epochs", 1)
        integer("batch_size", 2)
        integer("samples_per_class", 1, optional=True)
        integer("early_stopping_patience", 1, optional=True)
        integer("num_workers", 0)
        integer("eval_batch_size", 1)
        integer("max_attention_samples", 2)
        number("drop_rate", 0.0, 0.9)
        number("validation_fraction", 0.0, 0.5)
        number("sam_rho", 1e-6, 10.0)
        number("lr", 1e-9, 10.0)
        number("weight_decay", 0.0, 1.0)
        number("warmup_epochs", 0.0, 1e6)
        number("grad_clip", 1e-6, 1e6, optional=True)
        number("lambda_att", 0.0, 1e3)
        number("tau", 1e-3, 1e3)
        require(
            isinstance(self.backbone, str) and bool(self.backbone), "backbone", "a timm model name"
        )
        require(self.optimiser in OPTIMISERS, "optimiser", str(OPTIMISERS))
        require(self.sam_base in BASE_OPTIMISERS, "sam_base", str(BASE_OPTIMISERS))
        require(self.scheduler in SCHEDULERS, "scheduler", str(SCHEDULERS))
        require(
            self.validation_split in VALIDATION_SPLITS, "validation_split", str(VALIDATION_SPLITS)
        )
        require(self.best_metric in BEST_METRICS, "best_metric", str(BEST_METRICS))
        require(isinstance(self.soft_labels, bool), "soft_labels", "true or false")
        require(isinstance(self.balanced_sampler, bool), "balanced_sampler", "true or false")
        require(isinstance(self.amp, bool), "amp", "true or false")
        device_ok = self.device in ("auto", "cpu") or str(self.device).startswith("cuda")
        require(device_ok, "device", "auto, cpu, cuda or cuda:N")
