"""Pretrained backbone weights from a local file: nothing is fetched from a model hub.

A file holds a state dict (`.pt`/`.pth`, read with `weights_only=True`, or `.safetensors`),
possibly wrapped (`{"state_dict": ...}`) or prefixed (`module.`). Whole pickled models, as
HSEmotion ships them, are turned into such a file once by `rmfer import-weights`.
"""

from __future__ import annotations

import logging
from pathlib import Path

import torch
from torch import nn

from rmfer.errors import InputError, MissingInputError

logger = logging.getLogger(__name__)

WRAPPER_KEYS = ("state_dict", "model", "model_state_dict", "net")
HEAD_NAMES = ("classifier", "head.fc", "fc", "head")
_PREFIXES = ("module.", "model.", "backbone.")


class UntrustedPickleError(InputError):
    """The file is a pickled model; loading it would run code from it."""


def read_weights(path: Path, trust_pickle: bool = False) -> tuple[dict[str, torch.Tensor], str]:
    """(state dict, what the file held): a state dict first; a pickled module only if trusted."""
    path = Path(path)
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        return load_file(str(path)), "safetensors"
    try:
        loaded, kind = torch.load(path, map_location="cpu", weights_only=True), "a state dict"
    except Exception as error:  # weights_only refuses pickled classes in many ways
        if not trust_pickle:
            raise UntrustedPickleError(
                f"weights {path} cannot be read as a state dict ({type(error).__name__}); if it "
                "is a whole pickled model (as HSEmotion's enet_b2_8.pt is), unpickling it runs "
                "code from the file: convert it once with `rmfer import-weights FILE --out "
                "OUT.pt --trust` if you trust its source, and use OUT.pt"
            ) from None
        logger.warning("Unpickling %s: this runs code from the file (trusted by --trust)", path)
        loaded = torch.load(path, map_location="cpu", weights_only=False)
        kind = f"a pickled {type(loaded).__name__}"
    if isinstance(loaded, nn.Module):
        return loaded.state_dict(), kind
    for key in WRAPPER_KEYS:
        if isinstance(loaded, dict) and isinstance(loaded.get(key), dict):
            loaded = loaded[key]
    if not isinstance(loaded, dict) or not all(
        isinstance(v, torch.Tensor) for v in loaded.values()
    ):
        raise InputError(f"weights {path} hold a {type(loaded).__name__}, not a state dict")
    return dict(loaded), kind


def find_head(state: dict[str, torch.Tensor]) -> str | None:
    """The key prefix of the final linear classifier (`classifier` for timm EfficientNets)."""
    for name in HEAD_NAMES:
        weight = state.get(f"{name}.weight")
        if weight is not None and weight.ndim == 2 and f"{name}.bias" in state:
            return name
    return None


def _strip_prefixes(state: dict[str, torch.Tensor], expected: set[str]) -> dict[str, torch.Tensor]:
    """Remove wrapper prefixes (DataParallel's `module.`, ...) when that makes keys match."""
    for prefix in _PREFIXES:
        if not any(k in expected for k in state) and all(k.startswith(prefix) for k in state):
            state = {k[len(prefix) :]: v for k, v in state.items()}
    return state


def load_backbone_weights(
    backbone: nn.Module, path: Path, backbone_name: str
) -> dict[str, torch.Tensor]:
    """Load a timm state dict into `backbone`; return the file's state (its head included).

    A missing file says what to download and where to put it, since the project never downloads.
    """
    if not path.is_file():
        raise MissingInputError(
            f"pretrained weights file {path} not found. Download the weights of "
            f"{backbone_name!r} on a machine with internet access (a face-pretrained model such "
            "as HSEmotion's enet_b2_8.pt, converted with `rmfer import-weights`, or timm's "
            f"model.safetensors) and put the file at {path}, or set the parameter "
            "pretrained_weights to null (from scratch)."
        )
    expected = set(backbone.state_dict())
    state = _strip_prefixes(read_weights(path)[0], expected)
    head = getattr(backbone, "pretrained_cfg", {}).get("classifier") or "classifier"
    head_keys = {k for k in state if k.split(".")[0] == head and k not in expected}
    unexpected = sorted(set(state) - expected - head_keys)
    missing = sorted(expected - set(state))
    if missing or unexpected:
        raise InputError(
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
    return state


def init_heads_from_classifier(net: nn.Module, state: dict[str, torch.Tensor]) -> str:
    """Copy the state's classifier into both heads (W_main and W_att), as the authors do.

    Rows are taken to be in canonical label order, which `rmfer import-weights --head-labels`
    writes; an 8-row head serves the 7-class setting with its first seven rows (Contempt is last).
    """
    head = find_head(state)
    if head is None:
        raise InputError(
            "init_heads_from_backbone_classifier is true, but the pretrained weights hold no "
            "classifier (no classifier.weight / classifier.bias); set it to false, or import "
            "weights that keep their head with `rmfer import-weights`"
        )
    weight, bias = state[f"{head}.weight"], state[f"{head}.bias"]
    classes, dim = net.classifier.weight.shape
    if weight.shape[0] not in (7, 8) or weight.shape[0] < classes or weight.shape[1] != dim:
        raise InputError(
            f"the pretrained classifier is {tuple(weight.shape)}; init_heads_from_backbone_"
            f"classifier needs an expression head of 7 or 8 rows (at least {classes}) over "
            f"{dim} features, in canonical order (`rmfer import-weights --head-labels`)"
        )
    with torch.no_grad():
        for layer in (net.classifier, net.attention_classifier):
            layer.weight.copy_(weight[:classes])
            layer.bias.copy_(bias[:classes])
    logger.info("Both classifiers start from the pretrained %s (%d rows)", head, classes)
    return head
