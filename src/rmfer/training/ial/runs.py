"""IAL's training runs: IAL itself, and the CE-only baseline as the same training with
`lambda_att = 0`.

The ial pipeline trains once per run block, `<stage>_run` in conf/base/parameters_ial.yml
(`ial_run`, `baseline_run`), each naming what it changes in `ial`; the baseline is that pipeline
reused under the Kedro namespace `baseline`. Same backbone, data, schedule and seed as
IAL, so that a difference in the report's table is the attention term's doing. A run switched
off (`train: false`) leaves a marker in its checkpoint's place, which loads but is no network:
the report then says "not trained".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import pandas as pd

from rmfer.params import Checker, parse
from rmfer.training.ial.params import IalParams
from rmfer.training.ial.train import train_ial

logger = logging.getLogger(__name__)

NOT_TRAINED_FORMAT = "rmfer.not_trained.v1"


@dataclass(frozen=True)
class RunParams:
    """One run block: what the run is called, whether it trains, and what it changes in `ial`."""

    stage: str  # the checkpoint's extra.stage: ial | baseline
    train: bool  # false: a "not trained" marker instead of a checkpoint
    lambda_att: float | None  # None: ial.lambda_att; 0: the CE-only baseline
    epochs: int | None  # None: ial.epochs (the fair comparison)

    @classmethod
    def from_dict(cls, params: dict[str, Any]) -> RunParams:
        section = run_section(params)
        result = parse(cls, params, section)
        check = Checker(result, section)
        check.text("stage")
        check.flag("train")
        check.number("lambda_att", 0.0, float("inf"), optional=True)  # ial's range then applies
        check.integer("epochs", 1, optional=True)
        return result


def run_section(params: dict[str, Any]) -> str:
    """The YAML key of a run block, for messages: `<stage>_run`."""
    stage = params.get("stage") if isinstance(params, dict) else None
    return f"{stage}_run" if isinstance(stage, str) and stage else "<stage>_run"


def run_ial_params(ial: dict[str, Any], run: RunParams) -> dict[str, Any]:
    """`ial`'s parameters with the run's changes (a None change keeps ial's value)."""
    changes = {"lambda_att": run.lambda_att, "epochs": run.epochs}
    return {**ial, **{key: value for key, value in changes.items() if value is not None}}


def not_trained_checkpoint(reason: str) -> dict[str, Any]:
    """What stands in a model's place when its run is off: loads, but is no network."""
    return {"format": NOT_TRAINED_FORMAT, "reason": reason}


def skipped_run(stage: str, run: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(marker, metrics) of a run switched off (`train: false`), ial's or acl's, logged."""
    reason = f"{run_section(run)}.train is false"
    logger.info("%s: not trained (%s)", stage, reason)
    return not_trained_checkpoint(reason), {"trained": False, "reason": reason}


def is_trained(checkpoint: dict[str, Any]) -> bool:
    return checkpoint.get("format") != NOT_TRAINED_FORMAT


def train_run(
    index: pd.DataFrame, ial: dict[str, Any], run: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(checkpoint, metrics) of one run, or the marker and a metrics record saying why not."""
    options = RunParams.from_dict(run)
    if not options.train:
        return skipped_run(options.stage, run)
    params = IalParams.from_dict(run_ial_params(ial, options))
    logger.info(
        "%s: IAL's training with lambda_att = %g for %d epochs",
        options.stage,
        params.lambda_att,
        params.epochs,
    )
    result = train_ial(index, params, run_name=options.stage)
    checkpoint = result.checkpoint
    checkpoint["extra"] = {**checkpoint["extra"], "stage": options.stage}
    return checkpoint, result.metrics
