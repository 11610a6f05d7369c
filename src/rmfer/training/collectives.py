"""What the losses and the loop exchange between ranks; every function is a no-op alone.

The global-batch losses: each rank computes the loss of its own rows over the gathered batch,
weighted so that DDP's mean of the ranks' gradients is the gradient of the global batch's mean
loss (`share_mean`). The gather is torch's autograd-aware all_gather, so the gradient through
another rank's rows goes back to that rank.
"""

from __future__ import annotations

import contextlib
import warnings

import torch
import torch.distributed as dist
import torch.distributed.nn.functional as distributed_fn
from torch import nn

from rmfer.training.distributed import is_distributed, rank, world_size


def _scalars(values: list[float], device: torch.device | None = None) -> torch.Tensor:
    """A float tensor where the backend can reduce it (CUDA under NCCL)."""
    if device is None:
        device = torch.device("cuda") if dist.get_backend() == "nccl" else torch.device("cpu")
    return torch.tensor(values, dtype=torch.float64, device=device)


def gather_rows(*tensors: torch.Tensor) -> tuple[list[torch.Tensor], slice]:
    """Every rank's rows of each tensor, in rank order, and where this rank's own rows are.

    Ranks may hold different numbers of rows (each keeps whole classes): rows are padded to
    the largest count for the collective and the padding dropped after. Gradients flow back to
    the rank that holds each row.
    """
    first = tensors[0]
    counts = _scalars([float(len(first))], first.device)
    everyone = [torch.zeros_like(counts) for _ in range(world_size())]
    dist.all_gather(everyone, counts)
    sizes = [int(c.item()) for c in everyone]
    most = max(sizes)
    gathered = []
    for tensor in tensors:
        padding = tensor.new_zeros((most - len(tensor), *tensor.shape[1:]))
        with warnings.catch_warnings():  # deprecated in torch 2.14 for a private module's
            warnings.simplefilter("ignore", FutureWarning)  # function; still the public one
            parts = distributed_fn.all_gather(torch.cat([tensor, padding]))
        gathered.append(torch.cat([part[:n] for part, n in zip(parts, sizes, strict=True)]))
    start = sum(sizes[: rank()])
    return gathered, slice(start, start + len(first))


def share_mean(values: torch.Tensor, total: int | torch.Tensor) -> torch.Tensor:
    """This rank's share of the mean over `total` rows of all ranks (its rows are `values`):
    the ranks' shares average (as DDP averages gradients) to the global mean."""
    return values.sum() * world_size() / total


def global_count(mask: torch.Tensor) -> torch.Tensor:
    """How many entries of `mask` are true on all ranks together (no gradient)."""
    count = mask.sum().to(torch.float64)
    if is_distributed():
        dist.all_reduce(count)
    return count


def mean_over_ranks(terms: dict[str, torch.Tensor]) -> dict[str, float]:
    """A step's loss terms as floats: the mean of the ranks' values, i.e. the global batch's
    (each rank's `loss` is its share, `share_mean`); alone, the values themselves."""
    if not is_distributed():
        return {name: float(value.detach()) for name, value in terms.items()}
    values = _scalars([float(value.detach()) for value in terms.values()])
    dist.all_reduce(values)
    return dict(zip(terms, (values / world_size()).tolist(), strict=True))


def rank_zero_says(flag: bool) -> bool:
    """Rank 0's `flag` on every rank (e.g. early stopping, decided where validation runs)."""
    if not is_distributed():
        return flag
    value = _scalars([float(flag)])
    dist.broadcast(value, src=0)
    return bool(value.item())


def local_gradients(net: nn.Module) -> contextlib.AbstractContextManager[None]:
    """DDP's `no_sync` (gradients stay this rank's own), or nothing outside DDP.

    SAM's first pass runs under it: each rank perturbs the weights by its own gradient, and
    only the second pass, whose gradient the step applies, is averaged (the usual DDP SAM).
    """
    if isinstance(net, nn.parallel.DistributedDataParallel):
        return net.no_sync()
    return contextlib.nullcontext()
