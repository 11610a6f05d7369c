"""The CE-only baseline (lambda_att = 0): IAL's training with the attention term switched off.

It is the reference the comparison needs: the same backbone, data, schedule and seed as IAL,
so that a difference in the table is the attention term's doing. When `ial_baseline.train` is
false a marker is written in the checkpoint's place, and the report says "not trained".
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from rmfer.training import IalParams, train_ial

logger = logging.getLogger(__name__)

NOT_TRAINED_FORMAT = "rmfer.not_trained.v1"


class BaselineParameterError(ValueError):
    """An `ial_baseline.*` parameter is missing, unknown or invalid."""


@dataclass(frozen=True)
class BaselineParams:
    train: bool
    epochs: int | None  # None: as many as ial.epochs (the fair comparison)

    @classmethod
    def from_dict(cls, params: dict[str, Any]) -> BaselineParams:
        allowed = {"train", "epochs"}
        if set(params) != allowed:
            raise BaselineParameterError(
                f"parameters ial_baseline must be exactly {sorted(allowed)}, got {sorted(params)}"
            )
        if not isinstance(params["train"], bool):
            raise BaselineParameterError(
                f"parameter ial_baseline.train = {params['train']!r}; allowed: true or false"
            )
        epochs = params["epochs"]
        if epochs is not None and (
            not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 1
        ):
            raise BaselineParameterError(
                f"parameter ial_baseline.epochs = {epochs!r}; allowed: an integer >= 1 or null"
            )
        return cls(**params)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def baseline_ial_params(ial: dict[str, Any], baseline: BaselineParams) -> dict[str, Any]:
    """IAL's parameters with lambda_att = 0 (and the epochs override, when one is given)."""
    epochs = baseline.epochs if baseline.epochs is not None else ial["epochs"]
    return {**ial, "lambda_att": 0.0, "epochs": epochs}


def not_trained_checkpoint(reason: str) -> dict[str, Any]:
    """What stands in `baseline_model`'s place when it is off: loads, but is no network."""
    return {"format": NOT_TRAINED_FORMAT, "reason": reason}


def is_trained(checkpoint: dict[str, Any]) -> bool:
    return checkpoint.get("format") != NOT_TRAINED_FORMAT


def train_baseline(
    index: pd.DataFrame, ial: dict[str, Any], baseline: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(checkpoint, metrics) of the baseline, or the marker and a metrics record saying why not."""
    options = BaselineParams.from_dict(baseline)
    if not options.train:
        reason = "ial_baseline.train is false"
        logger.info("Baseline (CE only): not trained (%s)", reason)
        return not_trained_checkpoint(reason), {"trained": False, "reason": reason}
    params = IalParams.from_dict(baseline_ial_params(ial, options))
    logger.info(
        "Baseline (CE only): IAL's training with lambda_att = 0 for %d epochs", params.epochs
    )
    started = time.perf_counter()
    result = train_ial(index, params)
    seconds = round(time.perf_counter() - started, 1)
    checkpoint = result.checkpoint
    checkpoint["extra"] = {**checkpoint["extra"], "stage": "baseline"}
    metrics = {"trained": True, **result.metrics, "seconds": seconds}
    logger.info("Baseline done in %.0f s: test accuracy %s", seconds, metrics.get("accuracy"))
    return checkpoint, metrics
