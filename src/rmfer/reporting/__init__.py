"""Comparing the trained models and writing the report: evaluation, plots, report.md.

Library code with no Kedro imports; the evaluate pipeline's nodes call it.
"""

from rmfer.reporting.baseline import (
    BaselineParams,
    baseline_ial_params,
    is_trained,
    not_trained_checkpoint,
    train_baseline,
)
from rmfer.reporting.evaluation import ModelResult, evaluate_checkpoint
from rmfer.reporting.params import EvaluateParameterError, EvaluateParams

__all__ = [
    "BaselineParams",
    "EvaluateParameterError",
    "EvaluateParams",
    "ModelResult",
    "baseline_ial_params",
    "evaluate_checkpoint",
    "is_trained",
    "not_trained_checkpoint",
    "train_baseline",
]
