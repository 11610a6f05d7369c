"""The parameters IAL and ACL share, defined and checked once (`ial:` and `acl:` in conf/*).

Each stage's parameters subclass `TrainingParams` and add their own keys and checks. As
everywhere (`rmfer.params`), every key is required and has its default in conf/base; an error
names the key as written in the YAML (`ial.lr`, `acl.mining_quality.iou`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, ClassVar, TypeVar

from rmfer.data.transforms import Augmentation
from rmfer.params import Checker, parse, require_keys
from rmfer.training.distributed import DistributedParams

OPTIMISERS = ("adam", "adamw", "sgd", "sam")
BASE_OPTIMISERS = ("adam", "adamw", "sgd")
SCHEDULERS = ("cosine", "constant")
RESUME = ("auto", "never")
VALIDATION_SPLITS = ("auto", "validation", "test", "train_fraction")
BEST_METRICS = ("mean_class_accuracy", "accuracy")

P = TypeVar("P", bound="TrainingParams")


@dataclass(frozen=True)
class TrainingParams:
    """What a stage that trains the attention net sets the same way: run, data, optimiser, log."""

    SECTION: ClassVar[str] = "training"  # the YAML block; each stage sets its own

    seed: int
    device: str  # auto | cpu | cuda | cuda:N
    threads: int | None  # CPU threads for torch; None keeps torch's default
    epochs: int
    batch_size: int  # labeled images per step
    balanced_sampler: bool
    samples_per_class: int | None  # None: batch_size // classes
    lambda_att: float  # weight of CE(W_att f_att, y) in L_IAL
    optimiser: str
    sam_base: str
    sam_rho: float
    lr: float
    weight_decay: float
    scheduler: str
    warmup_epochs: float
    grad_clip: float | None
    augmentation: Augmentation  # labeled images (ACL's RM faces get its flip only)
    validation_split: str
    validation_fraction: float
    best_metric: str
    early_stopping_patience: int | None
    num_workers: int
    crop_cache: str | None  # folder of benchmark faces cut once per index and size; None: off
    eval_batch_size: int
    amp: bool
    max_attention_samples: int
    live_dir: str | None  # per-epoch metrics with dvclive under <live_dir>/<run>; None: off
    distributed: DistributedParams  # processes, nodes, gathering (rmfer.training.distributed)
    # Resume (rmfer.training.state): <state_dir>/<run>_state.pt, written at every epoch's end
    # and every checkpoint_every_steps steps; None: no state is written or read.
    state_dir: str | None
    checkpoint_every_steps: int | None  # None: at each epoch's end only
    resume: str  # auto: continue from a state with the same fingerprint; never: start afresh

    @classmethod
    def from_dict(cls: type[P], params: dict[str, Any]) -> P:
        """Parse and check a YAML block; `to_dict` then lists its keys in the block's order."""
        section = cls.SECTION
        require_keys(params, (f.name for f in fields(cls)), section)
        result = parse(cls, dict(params), section)
        result.check(Checker(result, section))
        # Checkpoints and evaluation.json list the parameters as the YAML does.
        object.__setattr__(result, "_key_order", tuple(params))
        return result

    def to_dict(self) -> dict[str, Any]:
        values = asdict(self)
        order = getattr(self, "_key_order", None)
        if order is None:
            return values
        position = {key: k for k, key in enumerate(order)}
        return dict(sorted(values.items(), key=lambda item: position[item[0]]))

    def check(self, check: Checker) -> None:
        """The shared ranges; a stage's override adds its own keys after calling this."""
        self.augmentation.check(check)
        for key in ("seed", "num_workers"):
            check.integer(key, 0)
        for key in ("epochs", "eval_batch_size"):
            check.integer(key, 1)
        for key in (
            "threads",
            "samples_per_class",
            "early_stopping_patience",
            "checkpoint_every_steps",
        ):
            check.integer(key, 1, optional=True)
        check.integer("batch_size", 2)
        check.integer("max_attention_samples", 2)
        check.number("validation_fraction", 0.0, 0.5)
        check.number("sam_rho", 1e-6, 10.0)
        check.positive("lr", 10.0)
        check.number("weight_decay", 0.0, 1.0)
        check.number("warmup_epochs", 0.0, 1e6)
        check.number("grad_clip", 1e-6, 1e6, optional=True)
        check.number("lambda_att", 0.0, 1e3)
        check.choice("optimiser", OPTIMISERS)
        check.choice("sam_base", BASE_OPTIMISERS)
        check.choice("scheduler", SCHEDULERS)
        check.choice("validation_split", VALIDATION_SPLITS)
        check.choice("best_metric", BEST_METRICS)
        for key in ("balanced_sampler", "amp"):
            check.flag(key)
        check.device()
        self.distributed.check(check)
        check.text("live_dir", optional=True)
        check.text("state_dir", optional=True)
        check.choice("resume", RESUME)
        check.text("crop_cache", optional=True)
