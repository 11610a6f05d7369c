"""Named kill points, so the fault tests can stop a stage exactly where they mean to.

`RMFER_FAULT_AT=<label>:<n>` makes the n-th `checkpoint(<label>)` call of the process kill the
process with SIGKILL, as a closed laptop lid or a pre-empted job would: no cleanup, no
`finally`. Timed kills land somewhere different on every machine; a named point lands in the
same place every time (tests/faults/). Unset, `checkpoint` costs one dictionary lookup.
With `RMFER_FAULT_RANK=<r>` as well, only the rank r of a distributed run (its `RANK`) is killed.
"""

from __future__ import annotations

import os
import signal

VARIABLE = "RMFER_FAULT_AT"
RANK_VARIABLE = "RMFER_FAULT_RANK"

_calls: dict[str, int] = {}


def _target() -> tuple[str, int] | None:
    """The (label, n) the variable names, or None when it is unset or malformed."""
    value = os.environ.get(VARIABLE)
    if not value or ":" not in value:
        return None
    label, _, count = value.rpartition(":")
    return (label, int(count)) if count.isdigit() and int(count) > 0 else None


def _this_rank() -> bool:
    """No rank named, or this process is it (read late: a rank's RANK is set after imports)."""
    only = os.environ.get(RANK_VARIABLE)
    return only is None or os.environ.get("RANK", "0") == only


_TARGET = _target()  # read once: the variable is set before the process starts


def checkpoint(label: str) -> None:
    """Kill this process here if `RMFER_FAULT_AT` names `label` and this is its n-th call."""
    target = _TARGET
    if target is None or target[0] != label:
        return
    _calls[label] = _calls.get(label, 0) + 1
    if _calls[label] == target[1] and _this_rank():
        os.kill(os.getpid(), signal.SIGKILL)
