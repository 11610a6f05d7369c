"""Input pipelines: augmentation for training, a plain resize for evaluation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torchvision.transforms import v2


@dataclass(frozen=True)
class Augmentation:
    """Random flips, crops and colour changes; zeros turn each one off."""

    flip: float = 0.5  # probability of a horizontal flip
    crop_scale_min: float = 0.8  # random resized crop keeps at least this fraction of the area
    brightness: float = 0.2
    contrast: float = 0.2
    saturation: float = 0.2
    hue: float = 0.0

    @classmethod
    def from_dict(cls, values: dict[str, Any] | None) -> Augmentation:
        values = dict(values or {})
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown augmentation keys {unknown}; allowed {sorted(known)}")
        augmentation = cls(**{k: float(v) for k, v in values.items()})
        if not 0 <= augmentation.flip <= 1 or not 0 < augmentation.crop_scale_min <= 1:
            raise ValueError(
                f"augmentation flip must be in [0, 1] and crop_scale_min in (0, 1]: {values}"
            )
        if not 0 <= augmentation.hue <= 0.5:
            raise ValueError(f"augmentation hue must be in [0, 0.5], got {augmentation.hue}")
        return augmentation


def _finish(mean: tuple[float, ...], std: tuple[float, ...]) -> list[v2.Transform]:
    return [v2.ToDtype(torch.float32, scale=True), v2.Normalize(list(mean), list(std))]


def eval_transform(image_size: int, mean: tuple[float, ...], std: tuple[float, ...]) -> v2.Compose:
    """(3, H, W) uint8 -> normalised float (3, S, S)."""
    return v2.Compose([v2.Resize((image_size, image_size), antialias=True), *_finish(mean, std)])


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
        steps.append(v2.Resize((image_size, image_size), antialias=True))
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
