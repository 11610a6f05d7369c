"""Where facetrack's videos run: the forms `facetrack.executor` may take.

`serial`: in the calling process, one after the other. `local:N`: a Dask LocalCluster of N worker
processes on this machine, made for the run. An address (`tcp://host:8786`): a running Dask
scheduler and its workers. `rmfer.faces.cluster` runs the last two.
"""

from __future__ import annotations

import re
from typing import Any

SERIAL = "serial"
EXECUTOR_FORMS = "serial, local:N (N >= 1) or a Dask scheduler's address such as tcp://host:8786"
_LOCAL = re.compile(r"local:([1-9][0-9]*)")
_ADDRESS = re.compile(r"(tcp|tls|ucx|inproc)://\S+")


def is_executor(value: Any) -> bool:
    """Whether `value` is one of EXECUTOR_FORMS."""
    return isinstance(value, str) and (
        value == SERIAL or bool(_LOCAL.fullmatch(value) or _ADDRESS.fullmatch(value))
    )


def local_workers(executor: str) -> int | None:
    """N of `local:N`; None for any other form."""
    match = _LOCAL.fullmatch(executor)
    return int(match.group(1)) if match else None
