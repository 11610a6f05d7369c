"""Training on several processes (GPUs, or CPU processes with gloo) with torch.distributed.

The training node launches its own processes: `launch` runs a stage's training function once
per rank with torch's elastic launcher, in-process (what `torchrun` runs), and hands rank 0's
return value back to the node. So Kedro runs every upstream node once, and only the training
itself is spread; several nodes run the same `kedro run` and meet at `rdzv_endpoint`.
`processes: 1, nodes: 1` does not launch at all: the stage runs as it always did.

Inside a rank: `wrap` puts the net in DistributedDataParallel (SyncBatchNorm on request);
`is_main` says whether this rank is the one that scores, logs and writes. The collectives the
losses and the loop need are in `rmfer.training.collectives`.
"""

from __future__ import annotations

import datetime
import logging
import os
import signal
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import torch
import torch.distributed as dist
from torch import nn

from rmfer.errors import ParameterError, StageError
from rmfer.params import Checker

logger = logging.getLogger(__name__)

BACKENDS = ("auto", "nccl", "gloo")
R = TypeVar("R")


@dataclass(frozen=True)
class DistributedParams:
    """`<stage>.distributed` in conf/base/parameters_<stage>.yml (see the comments there)."""

    processes: int  # per node: one per GPU; 1 with nodes 1 = no launch (today's path)
    nodes: int
    rdzv_endpoint: str  # host:port where the nodes meet; localhost:0 = any free port, one node
    backend: str  # auto (nccl on CUDA, else gloo) | nccl | gloo
    gather: bool  # attention and the ACL/SimCLR losses see the global batch
    sync_batchnorm: bool  # BatchNorm statistics over the global batch (CUDA only)
    timeout_s: float  # a rank that waits this long on the others fails instead of hanging

    @property
    def world_size(self) -> int:
        return self.processes * self.nodes

    def check(self, check: Checker) -> None:
        check.integer("distributed.processes", 1)
        check.integer("distributed.nodes", 1)
        check.text("distributed.rdzv_endpoint")
        check.choice("distributed.backend", BACKENDS)
        check.flag("distributed.gather")
        check.flag("distributed.sync_batchnorm")
        check.number("distributed.timeout_s", 1.0, 7 * 24 * 3600.0)


def is_distributed() -> bool:
    """True inside a rank of a multi-process run."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def rank() -> int:
    return dist.get_rank() if is_distributed() else 0


def world_size() -> int:
    return dist.get_world_size() if is_distributed() else 1


def is_main() -> bool:
    """The rank that scores, logs, shows progress and writes (rank 0; the only one alone)."""
    return rank() == 0


def local_device(device: torch.device) -> torch.device:
    """The CUDA device of this rank's LOCAL_RANK, made current; any other device as it is."""
    if device.type != "cuda" or not is_distributed():
        return device
    local = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
    torch.cuda.set_device(local)
    return local


def wrap(net: nn.Module, device: torch.device, options: DistributedParams) -> nn.Module:
    """The module the training steps run through: `net` alone, or DDP around it.

    SyncBatchNorm replaces `net`'s BatchNorm layers in place (same parameters and buffers, so
    the optimiser and the weights kept stay those of `net`).
    """
    if not is_distributed():
        return net
    if options.sync_batchnorm:
        if device.type != "cuda":
            raise ParameterError(
                f"distributed.sync_batchnorm is true but the ranks train on {device}: torch's "
                "SyncBatchNorm runs on CUDA only; set it to false"
            )
        converted = nn.SyncBatchNorm.convert_sync_batchnorm(net)
        assert converted is net, "the attention net's root is no BatchNorm layer"
    ids = [device.index] if device.type == "cuda" else None
    return nn.parallel.DistributedDataParallel(net, device_ids=ids)


def unwrap(net: nn.Module) -> nn.Module:
    """The net inside a DDP wrapper (for its own methods: `attend`, `config`, scoring)."""
    return net.module if isinstance(net, nn.parallel.DistributedDataParallel) else net


def _backend(options: DistributedParams, device: str) -> str:
    """`backend: auto`: NCCL where the ranks train on CUDA (`device`), else gloo."""
    if options.backend != "auto":
        return options.backend
    return "nccl" if device != "cpu" and torch.cuda.is_available() else "gloo"


def _rank_main(
    fn: Callable[..., R],
    args: tuple[Any, ...],
    options: DistributedParams,
    backend: str,
    errors: str,
) -> R | None:
    """One rank: join the group, run `fn(*args)`, leave. Rank 0's result goes to its node's
    launcher; with several nodes it is sent to every node's first rank, so that each node's
    training node returns it. An exception is noted in `errors/<rank>` for `failure_message`."""
    timeout = datetime.timedelta(seconds=options.timeout_s)
    dist.init_process_group(backend, timeout=timeout)
    if not logging.getLogger().handlers:  # a spawned rank: nothing set up its log yet
        logging.basicConfig(format=f"[rank {rank()}] %(levelname)s %(name)s: %(message)s")
    logging.getLogger("rmfer").setLevel(logging.INFO if is_main() else logging.WARNING)
    try:
        try:
            result = fn(*args)
        except Exception as error:
            (Path(errors) / str(rank())).write_text(f"{type(error).__name__}: {error}")
            raise
        if options.nodes == 1:
            dist.barrier()
            return result if is_main() else None
        shared = [result if is_main() else None]
        dist.broadcast_object_list(shared, src=0)
        return shared[0] if int(os.environ.get("LOCAL_RANK", "0")) == 0 else None
    finally:
        dist.destroy_process_group()


def launch(
    fn: Callable[..., R], args: tuple[Any, ...], options: DistributedParams, name: str, device: str
) -> R:
    """`fn(*args)` once per rank; rank 0's return value. Alone (1 process): `fn(*args)` here.
    `name` is the stage's YAML block (for messages), `device` its `device` parameter.

    `fn` and `args` are pickled to the ranks (spawned processes); a rank that fails, is killed
    or times out stops the others, and this raises a StageError that names it.
    """
    if options.world_size == 1 or is_distributed():
        return fn(*args)
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.launcher.api import LaunchConfig, elastic_launch

    config = LaunchConfig(
        min_nodes=options.nodes,
        max_nodes=options.nodes,
        nproc_per_node=options.processes,
        run_id=f"rmfer-{name}" if options.nodes > 1 else f"rmfer-{name}-{uuid.uuid4().hex[:8]}",
        rdzv_backend="c10d",
        rdzv_endpoint=options.rdzv_endpoint,
        rdzv_configs={"timeout": int(options.timeout_s)},
        max_restarts=0,
        start_method="spawn",
    )
    backend = _backend(options, device)
    logger.info(
        "%s: %d processes on each of %d node(s) (%s, rendezvous %s)",
        *(name, options.processes, options.nodes, backend, options.rdzv_endpoint),
    )
    with tempfile.TemporaryDirectory(prefix="rmfer-ranks-") as errors:
        try:
            results = elastic_launch(config, _rank_main)(fn, args, options, backend, errors)
        except ChildFailedError as error:
            raise StageError(failure_message(name, error, options, Path(errors))) from error
    return results[min(results)]  # this node's first rank: rank 0's result (`_rank_main`)


def failure_message(name: str, error: Any, options: DistributedParams, errors: Path) -> str:
    """Which rank failed first and how (killed by a signal, or its exception as noted in
    `errors/<rank>`), and what to check; the ranks that failed after it are counted."""
    parts = [
        f"rank {failed_rank} (pid {failure.pid}) was killed by "
        + signal.Signals(-failure.exitcode).name
        for failed_rank, failure in sorted(error.failures.items())
        if failure.exitcode < 0
    ]
    noted = sorted(errors.iterdir(), key=lambda path: path.stat().st_mtime_ns)
    parts += [f"rank {path.name} raised {path.read_text()}" for path in noted[:1]]
    if not parts:
        parts = [f"rank {r} exited with {f.exitcode}" for r, f in sorted(error.failures.items())]
    later = f" ({len(noted) - 1} more failed after it)" if len(noted) > 1 else ""
    nodes = ""
    if options.nodes > 1:
        nodes = (
            f" Every node must run the same command with {name}.distributed.nodes = "
            f"{options.nodes} and rdzv_endpoint {options.rdzv_endpoint}."
        )
    return (
        f"{name}: the distributed run failed: {'; '.join(parts)}{later}; the other ranks were "
        "stopped. "
        "A rank killed by SIGKILL is most often out of memory (lower batch_size or "
        "eval_batch_size); otherwise see that rank's log above. A rank that waits on the others "
        f"more than {name}.distributed.timeout_s = {options.timeout_s:g} s fails.{nodes}"
    )


def require_whole_classes(classes: int, section: str) -> None:
    """Every rank keeps whole classes of a balanced batch, so each needs at least one."""
    if world_size() > classes:
        raise ParameterError(
            f"{world_size()} processes share balanced batches of {classes} classes, but each "
            f"keeps whole classes; use at most {classes} processes "
            f"({section}.distributed.processes x nodes), or {section}.balanced_sampler: false"
        )


def rank_share(total: int, key: str) -> int:
    """This rank's part of `total` things per step (`key` names the parameter): the parts of
    all ranks add up to it, so a step's size does not depend on the number of processes."""
    if total < world_size():
        raise ParameterError(
            f"{key} = {total} is shared by {world_size()} processes; make it at least that"
        )
    return total // world_size() + (rank() < total % world_size())
