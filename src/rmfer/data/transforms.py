"""Input pipelines: augmentation for training, a plain resize for evaluation."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torchvision.transforms import v2

from rmfer.params import Checker


@dataclass(frozen=True)
class Augmentation:
    """Random flips, crops and colour changes; zeros turn each one off.

    No defaults here: they live in conf/base (`ial.augmentation`, `acl.augmentation`).
    """

    flip: float  # probability of a horizontal flip
    crop_scale_min: float  # random resized crop keeps at least this fraction of the area
    brightness: float
    contrast: float
    saturation: float
    hue: float

    def __post_init__(self) -> None:
        for name in self.__dataclass_fields__:  # YAML's 0 and 0.0 make the same run
            value = getattr(self, name)
            if isinstance(value, int) and not isinstance(value, bool):
                object.__setattr__(self, name, float(value))

    def check(self, check: Checker, prefix: str = "augmentation") -> None:
        """Ranges, named by the YAML key (`ial.augmentation.hue`)."""
        check.number(f"{prefix}.flip", 0.0, 1.0)
        check.positive(f"{prefix}.crop_scale_min", 1.0)
        for name in ("brightness", "contrast", "saturation"):
            check.number(f"{prefix}.{name}", 0.0, 10.0)
        check.number(f"{prefix}.hue", 0.0, 0.5)


def _finish(mean: tuple[float, ...], std: tuple[float, ...]) -> list[v2.Transform]:
    return [v2.ToDtype(torch.float32, scale=True), v2.Normalize(list(mean), list(std))]


def face_resize(image_size: int) -> v2.Resize:
    """A face (3, H, W) to (3, S, S), the same dtype: evaluation's resize, and the crop cache's
    (`rmfer.data.crop_cache`), which a cached face then passes unchanged (same size)."""
    return v2.Resize((image_size, image_size), antialias=True)


def eval_transform(image_size: int, mean: tuple[float, ...], std: tuple[float, ...]) -> v2.Compose:
    """(3, H, W) uint8 -> normalised float (3, S, S)."""
    return v2.Compose([face_resize(image_size), *_finish(mean, std)])


def train_transform(
    image_size: int,
    mean: tuple[float, ...],
    std: tuple[float, ...],
    augmentation: Augmentation,
) -> v2.Compose:
    """The evaluation input, plus the random changes a face keeps its expression under."""
    steps: list[v2.Transform] = []
    if augmentation.crop_scale_min < 1:
        steps.append(
            v2.RandomResizedCrop(
                (image_size, image_size),
                scale=(augmentation.crop_scale_min, 1.0),
                ratio=(0.9, 1.1),
                antialias=True,
            )
        )
    else:
        steps.append(face_resize(image_size))
    if augmentation.flip > 0:
        steps.append(v2.RandomHorizontalFlip(augmentation.flip))
    jitter = (
        augmentation.brightness,
        augmentation.contrast,
        augmentation.saturation,
        augmentation.hue,
    )
    if any(jitter):
        steps.append(v2.ColorJitter(*jitter))
    return v2.Compose([*steps, *_finish(mean, std)])
