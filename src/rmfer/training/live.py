"""Per-epoch learning curves with dvclive, for `dvc plots show` and `dvc exp show`.

Each training run writes `<live_dir>/<run>/` (run: ial, baseline, acl): `metrics.json` (the last
epoch's numbers) and `plots/metrics/<name>.tsv` (one row per epoch, step = the epoch number), for
every number of the loop's history row (`lr`, `train_*`, `val_*`).

dvclive is kept offline and away from the repository: no DVC experiment is saved
(`save_dvc_exp=False`), no dvc.yaml is written (`dvcyaml=None`; the project's dvc.yaml declares
the folders), and Studio is off for the run (`DVC_STUDIO_OFFLINE`), so nothing is posted even
where a Studio token is configured. dvclive reads the Git repository it runs in, if any, to name
its run; it calls neither `git` nor the network.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rmfer.training.loop import EpochLog

STUDIO_OFFLINE = "DVC_STUDIO_OFFLINE"


@contextlib.contextmanager
def _studio_offline() -> Iterator[None]:
    previous = os.environ.get(STUDIO_OFFLINE)
    os.environ[STUDIO_OFFLINE] = "true"
    try:
        yield
    finally:
        if previous is None:
            del os.environ[STUDIO_OFFLINE]
        else:
            os.environ[STUDIO_OFFLINE] = previous


@contextlib.contextmanager
def epoch_log(live_dir: str | None, run: str) -> Iterator[EpochLog | None]:
    """A callback for `fit(on_epoch=...)` logging to `<live_dir>/<run>`; None when off.

    The folder is emptied of an earlier run's curves when the run starts.
    """
    if live_dir is None:
        yield None
        return
    from dvclive import Live  # imports DVC: only when logging is on

    folder = Path(live_dir) / run
    with _studio_offline():
        live = Live(str(folder), save_dvc_exp=False, dvcyaml=None, report=None)

    def log(row: dict[str, Any]) -> None:
        live.step = int(row["epoch"])
        for name, value in row.items():
            if name != "epoch" and isinstance(value, (int, float)) and math.isfinite(value):
                live.log_metric(name, value)
        with _studio_offline():
            live.next_step()

    try:
        yield log
    finally:
        with _studio_offline():
            live.end()
