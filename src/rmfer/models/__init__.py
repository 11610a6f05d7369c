"""The attention network of docs/method.md, its checkpoint format and SAM."""

from rmfer.models.checkpoint import load_network, make_checkpoint, read_checkpoint
from rmfer.models.network import (
    AttentionNet,
    AttentionOutput,
    NetOutput,
    NetworkConfig,
    build_network,
)

__all__ = [
    "AttentionNet",
    "AttentionOutput",
    "NetOutput",
    "NetworkConfig",
    "build_network",
    "load_network",
    "make_checkpoint",
    "read_checkpoint",
]
