"""Comparing the trained models and writing the report: inference on the test split, the
report's data (one typed schema), plots and report.md.

Library code with no Kedro imports; the evaluate pipeline's nodes call it.
"""

from rmfer.reporting.inference import run_on_test_split
from rmfer.reporting.params import EvaluateParams
from rmfer.reporting.schema import Evaluation, Metrics, ModelResult

__all__ = [
    "EvaluateParams",
    "Evaluation",
    "Metrics",
    "ModelResult",
    "run_on_test_split",
]
