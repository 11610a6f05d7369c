"""The `ial_model` / `acl_model` checkpoint: plain config + tensors, loadable with weights_only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from rmfer.models.network import AttentionNet, NetworkConfig, build_network

CHECKPOINT_FORMAT = "rmfer.attention_net.v1"


def make_checkpoint(net: AttentionNet, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """A dict of plain values and CPU tensors; `extra` (e.g. metrics, params) must be plain too."""
    return {
        "format": CHECKPOINT_FORMAT,
        "config": net.config.to_dict(),
        "state_dict": {k: v.detach().cpu().clone() for k, v in net.state_dict().items()},
        "extra": dict(extra or {}),
    }


def read_checkpoint(path: Path | str) -> dict[str, Any]:
    """Load a checkpoint file without unpickling code."""
    return torch.load(Path(path), map_location="cpu", weights_only=True)


def load_network(
    checkpoint: dict[str, Any] | Path | str, device: torch.device | str = "cpu"
) -> AttentionNet:
    """Rebuild the net of a checkpoint (a dict or a file) in eval mode on `device`."""
    if not isinstance(checkpoint, dict):
        checkpoint = read_checkpoint(checkpoint)
    if checkpoint.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(
            f"not an rmfer checkpoint: format {checkpoint.get('format')!r}, "
            f"expected {CHECKPOINT_FORMAT!r}"
        )
    net = build_network(NetworkConfig.from_dict(checkpoint["config"]))
    net.load_state_dict(checkpoint["state_dict"])
    return net.to(device).eval()
