"""Stage 1, inter-sample attention learning (IAL) on a labeled benchmark (docs/method.md)."""

from rmfer.training.ial.loss import IalLoss, ial_loss
from rmfer.training.ial.params import IalParams
from rmfer.training.ial.train import IalResult, network_config, train_ial

__all__ = ["IalLoss", "IalParams", "IalResult", "ial_loss", "network_config", "train_ial"]
