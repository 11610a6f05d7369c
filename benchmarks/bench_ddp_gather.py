"""What does seeing the global batch cost? IAL's step on 2 CPU ranks (gloo), gather on vs off,
and against one process on the same global batch.

Each rank runs `--steps` IAL steps (train_step with IalLoss, Adam, DDP) on its part of one
class-balanced global batch (`RankShare`: whole classes per rank), gather on and off
interleaved step by step so that outside load hits both alike; rank 0's median step times are
compared. Gather on: every rank's f and z are all-gathered (with gradients) and the attention
runs over the global batch; off: over the rank's own part. The baseline is one process with the
whole batch and as many threads as the two ranks have together, run first in this same
process. The ranks are launched the way the training node launches them.
Usage: .venv/bin/python benchmarks/bench_ddp_gather.py [--backbone resnet10t] [--size 48]
       [--batch 56] [--steps 12]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

from rmfer.labels import label_names
from rmfer.models import NetworkConfig, build_network
from rmfer.training.distributed import DistributedParams, launch, rank, wrap
from rmfer.training.ial.loss import IalLoss
from rmfer.training.loop import train_step
from rmfer.training.runtime import Precision
from rmfer.training.sampler import RankShare

CPU = torch.device("cpu")
CLASSES = 7


def median_steps(args: argparse.Namespace, threads: int) -> dict[bool, float]:
    """Median seconds of an IAL step on this process's part of the global batch, with gather
    on and off, the two interleaved step by step so that outside load hits both alike."""
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    config = NetworkConfig(args.backbone, CLASSES, args.size, label_names(CLASSES), tau=0.1)
    net = build_network(config)
    labels = np.arange(args.batch) % CLASSES
    options = DistributedParams(2, 1, "localhost:0", "gloo", True, False, 120.0)
    rows = next(iter(RankShare([list(range(args.batch))], labels, rank(), 2)))
    rows = rows if torch.distributed.is_initialized() else list(range(args.batch))
    batch = {
        "image": torch.randn(len(rows), 3, args.size, args.size),
        "label": torch.as_tensor(labels[rows]),
    }
    stepped = wrap(net, CPU, options)
    optimiser = torch.optim.Adam(net.parameters(), lr=1e-4)
    times: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(args.steps + 2):  # two warm-up steps of each
        for gather in (True, False):
            loss = IalLoss(lambda_att=0.25, tau=0.1, gather=gather)
            started = time.perf_counter()
            train_step(stepped, batch, loss, optimiser, Precision(CPU, None))
            times[gather].append(time.perf_counter() - started)
    return {gather: statistics.median(values[2:]) for gather, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backbone", default="resnet10t")
    parser.add_argument("--size", type=int, default=48)
    parser.add_argument("--batch", type=int, default=56)
    parser.add_argument("--steps", type=int, default=12)
    args = parser.parse_args()
    one = median_steps(args, threads=2)[False]  # alone, gather changes nothing
    options = DistributedParams(2, 1, "localhost:0", "gloo", True, False, 120.0)
    two = launch(median_steps, (args, 1), options, "bench", "cpu")
    print(f"{args.backbone} at {args.size} px, global batch {args.batch}, medians of {args.steps}")
    print(f"  1 process, 2 threads:          {one * 1000:8.1f} ms per step")
    print(f"  2 ranks x 1 thread, gather on: {two[True] * 1000:8.1f} ms per step")
    print(f"  2 ranks x 1 thread, gather off:{two[False] * 1000:8.1f} ms per step")
    print(f"gather on / off (2 ranks):       {two[True] / two[False]:.2f}x")
    print(f"2 ranks gather on / 1 process:   {two[True] / one:.2f}x")


if __name__ == "__main__":
    main()
