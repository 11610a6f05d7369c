"""BatchNorm's running statistics: keep them from a forward pass, or re-estimate them on data.

The running statistics are what an eval-mode net normalises with, so they decide test accuracy.
ACL trains on labeled images and RM crops; these helpers let it keep the RM crops out of them
(`running_stats_untouched`) or recompute them afterwards on labeled images only
(`reestimate_running_stats`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator

import torch
from torch import nn

BatchNorm = nn.modules.batchnorm._BatchNorm


def batch_norms(net: nn.Module) -> list[BatchNorm]:
    return [module for module in net.modules() if isinstance(module, BatchNorm)]


@contextlib.contextmanager
def running_stats_untouched(net: nn.Module) -> Iterator[None]:
    """Within it, a train-mode forward normalises by the batch's own statistics and leaves the
    running statistics (and `num_batches_tracked`) exactly as they were.

    It turns `track_running_stats` off, which is how BatchNorm itself (and timm's
    BatchNormAct2d) skip the update; unlike momentum 0 it also leaves the batch counter alone,
    so it is exact for cumulative averaging too. The gradient is the one of a normal train-mode
    pass over the same batch.
    """
    modules = [m for m in batch_norms(net) if m.track_running_stats]
    for module in modules:
        module.track_running_stats = False
    try:
        yield
    finally:
        for module in modules:
            module.track_running_stats = True


@torch.no_grad()
def reestimate_running_stats(
    net: nn.Module, images: Iterable[torch.Tensor], forward: Callable[[torch.Tensor], object]
) -> int:
    """Replace every BatchNorm's running statistics by their cumulative average over `images`.

    As `torch.optim.swa_utils.update_bn`: statistics reset, momentum None (the average of the
    batches' means and variances, each batch counting once), no gradient, so no weight moves.
    Unlike it, only the BatchNorm layers run in train mode (dropout and stochastic depth stay
    off, so the statistics are those of the net that is evaluated). `forward(batch)` runs the
    net on one batch already on the right device. Returns the number of batches seen.
    """
    modules = batch_norms(net)
    if not modules:
        return 0
    was_training = net.training
    momenta = [module.momentum for module in modules]
    net.eval()
    for module in modules:
        module.reset_running_stats()
        module.momentum = None
        module.train()
    seen = 0
    try:
        for batch in images:
            forward(batch)
            seen += 1
    finally:
        for module, momentum in zip(modules, momenta, strict=True):
            module.momentum = momentum
        net.train(was_training)
    return seen
