"""Sharpness-aware minimisation (Foret et al., 2021) around any torch optimiser.

The method's reference optimiser. No maintained package is among the project's dependencies,
so this is the usual two-step form: ascend to w + rho * g / ||g||, take the gradient there,
then step the base optimiser from the original w.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn


class SAM(torch.optim.Optimizer):
    """`first_step` perturbs the weights, `second_step` restores them and steps the base."""

    def __init__(
        self,
        params: Iterable[torch.Tensor] | Iterable[dict[str, Any]],
        base_optimizer: type[torch.optim.Optimizer],
        rho: float = 0.05,
        adaptive: bool = False,
        **base_kwargs: Any,
    ) -> None:
        if rho <= 0:
            raise ValueError(f"SAM rho must be > 0, got {rho}")
        super().__init__(params, {"rho": rho, "adaptive": adaptive, **base_kwargs})
        self.base_optimizer = base_optimizer(self.param_groups, **base_kwargs)
        self.param_groups = self.base_optimizer.param_groups  # one lr, seen by schedulers
        self.defaults.update(self.base_optimizer.defaults)

    @torch.no_grad()
    def _grad_norm(self) -> torch.Tensor:
        norms = [
            ((p.abs() if group["adaptive"] else 1.0) * p.grad).norm(p=2)
            for group in self.param_groups
            for p in group["params"]
            if p.grad is not None
        ]
        if not norms:
            return torch.tensor(0.0)
        return torch.stack([n.to(norms[0].device) for n in norms]).norm(p=2)

    @torch.no_grad()
    def first_step(self) -> None:
        """w <- w + rho * g / ||g|| (scaled by |w| when adaptive), remembering w."""
        grad_norm = self._grad_norm()
        for group in self.param_groups:
            scale = group["rho"] / (grad_norm + 1e-12)
            for p in group["params"]:
                if p.grad is None:
                    continue
                self.state[p]["old_p"] = p.detach().clone()
                step = (p.pow(2) if group["adaptive"] else 1.0) * p.grad * scale.to(p)
                p.add_(step)

    @torch.no_grad()
    def second_step(self) -> None:
        """Back to w, then the base optimiser's step with the gradient taken at the perturbed w."""
        for group in self.param_groups:
            for p in group["params"]:
                if "old_p" in self.state[p]:
                    p.copy_(self.state[p].pop("old_p"))
        self.base_optimizer.step()

    def step(self, closure: Callable[[], torch.Tensor] | None = None) -> None:  # type: ignore[override]
        """Both steps; `closure` must recompute the loss and call backward (gradients zeroed)."""
        if closure is None:
            raise ValueError("SAM needs a closure that recomputes the loss and its gradients")
        self.first_step()
        self.zero_grad()
        with torch.enable_grad():
            closure()
        self.second_step()


@contextmanager
def frozen_batch_norm_stats(model: nn.Module):
    """Keep BatchNorm running statistics unchanged during SAM's second forward pass."""
    saved = []
    for module in model.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm) and module.momentum is not None:
            saved.append((module, module.momentum))
            module.momentum = 0.0
    try:
        yield
    finally:
        for module, momentum in saved:
            module.momentum = momentum
