"""Optimiser (Adam, or SAM around a base optimiser) and a per-step learning-rate schedule."""

from __future__ import annotations

import math

import torch
from torch import nn

from rmfer.models.sam import SAM

_BASES: dict[str, type[torch.optim.Optimizer]] = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "sgd": torch.optim.SGD,
}


def build_optimiser(
    net: nn.Module,
    name: str,
    lr: float,
    weight_decay: float,
    sam_base: str = "adam",
    sam_rho: float = 0.05,
) -> torch.optim.Optimizer:
    """`adam`, `adamw`, `sgd` (momentum 0.9), or `sam` around `sam_base` (the paper's choice)."""
    params = [p for p in net.parameters() if p.requires_grad]
    base = sam_base if name == "sam" else name
    if base not in _BASES:
        raise ValueError(f"unknown optimiser {base!r}; allowed: {[*_BASES, 'sam']}")
    kwargs = {
        "lr": lr,
        "weight_decay": weight_decay,
        **({"momentum": 0.9} if base == "sgd" else {}),
    }
    if name == "sam":
        return SAM(params, _BASES[base], rho=sam_rho, **kwargs)
    return _BASES[base](params, **kwargs)


def build_scheduler(
    optimiser: torch.optim.Optimizer, name: str, total_steps: int, warmup_steps: int
) -> torch.optim.lr_scheduler.LambdaLR:
    """Linear warm-up, then cosine decay to zero (`cosine`) or a constant rate (`constant`)."""

    def factor(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        if name == "constant":
            return 1.0
        progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
        return 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))

    if name not in ("cosine", "constant"):
        raise ValueError(f"unknown scheduler {name!r}; allowed: cosine, constant")
    return torch.optim.lr_scheduler.LambdaLR(optimiser, factor)


def optimiser_state(optimiser: torch.optim.Optimizer) -> dict:
    """The optimiser's state for a training-state file; SAM's lives in its base optimiser."""
    if isinstance(optimiser, SAM):
        return optimiser.base_optimizer.state_dict()
    return optimiser.state_dict()


def load_optimiser_state(optimiser: torch.optim.Optimizer, state: dict) -> None:
    """The inverse of `optimiser_state`. Loading replaces the base's parameter groups, so SAM
    is pointed at the new ones: the schedule sets the learning rate through SAM."""
    if isinstance(optimiser, SAM):
        optimiser.base_optimizer.load_state_dict(state)
        optimiser.param_groups = optimiser.base_optimizer.param_groups
    else:
        optimiser.load_state_dict(state)
