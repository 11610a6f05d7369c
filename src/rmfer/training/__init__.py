"""Training the attention net: stage 1 (`ial/`), stage 2 (`acl/`) and what they share.

Shared: the parameters both stages have (`params`), the set-up around the loop (`stage`), the
loop itself (`loop`), its per-epoch curves with dvclive (`live`), optimiser and schedule
(`optim`), device and precision (`runtime`), class-balanced batches (`sampler`), the splits
(`splits`), scoring a net on one (`scoring`, `metrics`), and several processes
(`distributed`: launch, DDP; `collectives`: what the ranks exchange).
"""

from rmfer.training.ial import IalLoss, IalParams, IalResult, ial_loss, train_ial
from rmfer.training.loop import FitResult, LossTerms, fit, train_step

__all__ = [
    "FitResult",
    "IalLoss",
    "IalParams",
    "IalResult",
    "LossTerms",
    "fit",
    "ial_loss",
    "train_ial",
    "train_step",
]
