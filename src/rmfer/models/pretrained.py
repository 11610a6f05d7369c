"""Pretrained backbone weights from a local file: nothing is fetched from a model hub."""

from __future__ import annotations

import logging
from pathlib import Path

import torch
from torch import nn

logger = logging.getLogger(__name__)

_WRAPPER_KEYS = ("state_dict", "model", "model_state_dict", "net")
_PREFIXES = ("module.", "model.", "backbone.")


def _read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        return load_file(str(path))
    try:
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:
        raise ValueError(
            f"pretrained weights {path} cannot be read as a state dict ({error}); save the "
            "weights with torch.save(model.state_dict(), path) or as .safetensors"
        ) from None
    for key in _WRAPPER_KEYS:
        if isinstance(loaded, dict) and isinstance(loaded.get(key), dict):
            loaded = loaded[key]
    if not isinstance(loaded, dict):
        raise ValueError(
            f"pretrained weights {path} hold a {type(loaded).__name__}, not a state dict"
        )
    return loaded


def _strip_prefixes(state: dict[str, torch.Tensor], expected: set[str]) -> dict[str, torch.Tensor]:
    """Remove wrapper prefixes (DataParallel's `module.`, ...) when that makes keys match."""
    for prefix in _PREFIXES:
        if not any(k in expected for k in state) and all(k.startswith(prefix) for k in state):
            state = {k[len(prefix) :]: v for k, v in state.items()}
    return state


def load_backbone_weights(backbone: nn.Module, path: Path, backbone_name: str) -> None:
    """Load a timm state dict into `backbone`; a classifier head in the file is dropped.

    A missing file says what to download and where to put it, since the project never downloads.
    """
    if not path.is_file():
        raise FileNotFoundError(
            f"pretrained weights file {path} not found. Download the timm weights of "
            f"{backbone_name!r} (e.g. model.safetensors from https://huggingface.co/timm, or a "
            f"face-pretrained state dict for it) on a machine with internet access and put the "
            f"file at {path}, or set the parameter pretrained_weights to null (from scratch)."
        )
    expected = set(backbone.state_dict())
    state = _strip_prefixes(_read_state_dict(path), expected)
    head = getattr(backbone, "pretrained_cfg", {}).get("classifier") or "classifier"
    head_keys = {k for k in state if k.split(".")[0] == head and k not in expected}
    unexpected = sorted(set(state) - expected - head_keys)
    missing = sorted(expected - set(state))
    if missing or unexpected:
        raise ValueError(
            f"pretrained weights {path} do not fit backbone {backbone_name!r}: "
            f"missing {missing[:5]}{'...' if len(missing) > 5 else ''}, "
            f"unexpected {unexpected[:5]}{'...' if len(unexpected) > 5 else ''}"
        )
    backbone.load_state_dict({k: v for k, v in state.items() if k in expected})
    logger.info(
        "Loaded pretrained %s weights from %s (dropped %d head tensors)",
        backbone_name,
        path,
        len(head_keys),
    )
