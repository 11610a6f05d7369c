"""The network of docs/method.md: a timm backbone, the projection head g and two classifiers."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, NamedTuple

import timm
import torch
from torch import nn

from rmfer.errors import ParameterError
from rmfer.models.attention import attended_features
from rmfer.models.pretrained import init_heads_from_classifier, load_backbone_weights

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class NetworkConfig:
    """Everything needed to rebuild the net from a checkpoint, as plain values."""

    backbone: str
    num_classes: int
    image_size: int
    label_names: tuple[str, ...]
    mean: tuple[float, ...] = IMAGENET_MEAN
    std: tuple[float, ...] = IMAGENET_STD
    tau: float = 1.0  # temperature of s(i, j) = cos(z_i, z_j) / tau
    drop_rate: float = 0.0
    feature_dim: int | None = None  # D, filled in from the backbone

    def to_dict(self) -> dict[str, Any]:
        """Lists, not tuples, so `torch.load(weights_only=True)` and JSON both take it."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> NetworkConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown network config keys {unknown}; allowed {sorted(known)}")
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})


class NetOutput(NamedTuple):
    features: torch.Tensor  # f, (B, D): the backbone's pooled features
    embeddings: torch.Tensor  # z = g(f), (B, D): where similarities are measured
    logits: torch.Tensor  # W_main f, (B, C): the prediction used at inference


class AttentionOutput(NamedTuple):
    weights: torch.Tensor  # A, (B, B), rows sum to 1, zero diagonal
    features: torch.Tensor  # f_att, (B, D)
    logits: torch.Tensor  # W_att f_att, (B, C)


class AttentionNet(nn.Module):
    """Backbone B, projection g (D -> D -> D, ReLU), classifiers W_main and W_att."""

    def __init__(self, config: NetworkConfig) -> None:
        super().__init__()
        self.backbone = timm.create_model(
            config.backbone, pretrained=False, num_classes=0, drop_rate=config.drop_rate
        )
        # the pooled output's width; larger than num_features where timm adds a head conv
        dim = int(getattr(self.backbone, "head_hidden_size", None) or self.backbone.num_features)
        if config.feature_dim not in (None, dim):
            raise ValueError(
                f"{config.backbone} has {dim} features, config says {config.feature_dim}"
            )
        self.config = NetworkConfig.from_dict({**config.to_dict(), "feature_dim": dim})
        self.projection = nn.Sequential(
            nn.Linear(dim, dim), nn.ReLU(inplace=True), nn.Linear(dim, dim)
        )
        self.classifier = nn.Linear(dim, config.num_classes)
        self.attention_classifier = nn.Linear(dim, config.num_classes)

    def forward(self, images: torch.Tensor) -> NetOutput:
        features = self.backbone(images)
        return NetOutput(features, self.projection(features), self.classifier(features))

    def attend(self, output: NetOutput, tau: float | None = None) -> AttentionOutput:
        """Inter-sample attention over the batch in `output` (training and diagnostics)."""
        tau = self.config.tau if tau is None else tau
        mixed, weights = attended_features(output.features, output.embeddings, tau)
        return AttentionOutput(weights, mixed, self.attention_classifier(mixed))


def default_normalisation(backbone: str) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The mean and std the backbone's pretrained weights expect (ImageNet's for most)."""
    cfg = timm.get_pretrained_cfg(backbone)
    if cfg is None:
        return IMAGENET_MEAN, IMAGENET_STD
    return tuple(cfg.mean), tuple(cfg.std)


def build_network(
    config: NetworkConfig,
    pretrained_weights: Path | str | None = None,
    init_heads: bool = False,
) -> AttentionNet:
    """A fresh net; `pretrained_weights` is a local file for the backbone (never downloaded).

    `init_heads` starts both classifiers from the file's expression classifier, as the authors'
    code does with HSEmotion's weights.
    """
    if not timm.is_model(config.backbone):
        raise ValueError(f"unknown timm backbone {config.backbone!r}; see timm.list_models()")
    net = AttentionNet(config)
    if init_heads and not pretrained_weights:
        raise ParameterError(
            "init_heads_from_backbone_classifier is true but pretrained_weights is null"
        )
    if pretrained_weights:
        state = load_backbone_weights(net.backbone, Path(pretrained_weights), config.backbone)
        if init_heads:
            init_heads_from_classifier(net, state)
    return net
