"""ACL's training runs: IAL + ACL itself, and the control, IAL continued with `mu = 0`.

The acl pipeline trains once per run block, `<stage>_run` in conf/base/parameters_acl.yml
(`acl_run`, `control_run`), each naming what it changes in `acl`; the control is that pipeline
reused under the Kedro namespace `control`. Same steps, optimiser, schedule, seed and epoch
selection from the same ial_model, L_IAL only (`IalContinued`, no RM face read): so that IAL +
ACL's gain over it is ACL's, not that of more training. It is the study's `control` arm (the
same `train_acl` with `mu = 0`). A run switched off (`train: false`) leaves ial/runs.py's
"not trained" marker, which the report shows as such.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import pandas as pd

from rmfer.params import Checker, parse
from rmfer.training.acl.params import AclParams
from rmfer.training.acl.train import train_acl
from rmfer.training.ial.runs import run_section, skipped_run

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AclRunParams:
    """One run block: what the run is called, whether it trains, and what it changes in `acl`."""

    stage: str  # the checkpoint's extra.stage and the dvclive run: acl | control
    train: bool  # false: a "not trained" marker instead of a checkpoint
    mu: float | None  # None: acl.mu; 0: the control (L_IAL only)

    @classmethod
    def from_dict(cls, params: dict[str, Any]) -> AclRunParams:
        section = run_section(params)
        result = parse(cls, params, section)
        check = Checker(result, section)
        check.text("stage")
        check.flag("train")
        check.number("mu", 0.0, 1e3, optional=True)
        return result


def run_acl_params(acl: dict[str, Any], run: AclRunParams) -> dict[str, Any]:
    """`acl`'s parameters with the run's changes (a None change keeps acl's value)."""
    return {**acl, **({"mu": run.mu} if run.mu is not None else {})}


def train_acl_run(
    face_tracks: pd.DataFrame,
    index: pd.DataFrame,
    ial_checkpoint: dict[str, Any],
    acl: dict[str, Any],
    run: dict[str, Any],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(checkpoint, metrics) of one run, or the marker and a metrics record saying why not."""
    options = AclRunParams.from_dict(run)
    if not options.train:
        return skipped_run(options.stage, run)
    params = AclParams.from_dict(run_acl_params(acl, options))
    logger.info("%s: ACL's training with mu = %g", options.stage, params.mu)
    result = train_acl(face_tracks, index, ial_checkpoint, params, run_name=options.stage)
    checkpoint = result.checkpoint
    checkpoint["extra"] = {**checkpoint["extra"], "stage": options.stage}
    return checkpoint, result.metrics
