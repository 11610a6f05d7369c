"""Training shared by IAL and ACL: the step and epoch loop, losses, metrics, and stage 1."""

from rmfer.training.ial import IalResult, train_ial
from rmfer.training.loop import FitResult, fit, train_step
from rmfer.training.losses import IalLoss, LossTerms, ial_loss
from rmfer.training.params import IalParameterError, IalParams

__all__ = [
    "FitResult",
    "IalLoss",
    "IalParameterError",
    "IalParams",
    "IalResult",
    "LossTerms",
    "fit",
    "ial_loss",
    "train_ial",
    "train_step",
]
