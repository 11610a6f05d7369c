"""IAL's parameters (`ial:` in conf/*/parameters_ial.yml): the shared ones and the network's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rmfer.params import Checker
from rmfer.training.params import TrainingParams


@dataclass(frozen=True)
class IalParams(TrainingParams):
    SECTION: ClassVar[str] = "ial"

    backbone: str
    pretrained_weights: str | None
    init_heads_from_backbone_classifier: bool  # both heads start from the file's classifier
    image_size: int
    drop_rate: float
    num_classes: int | None  # None: 8 when the index holds Contempt, else 7
    soft_labels: bool
    tau: float

    def check(self, check: Checker) -> None:
        super().check(check)
        check.integer("image_size", 16)
        check.require(self.num_classes in (None, 7, 8), "num_classes", "7, 8 or null")
        check.number("drop_rate", 0.0, 0.9)
        check.number("tau", 1e-3, 1e3)
        check.require(
            isinstance(self.backbone, str) and bool(self.backbone), "backbone", "a timm model name"
        )
        check.flag("soft_labels")
        check.flag("init_heads_from_backbone_classifier")
