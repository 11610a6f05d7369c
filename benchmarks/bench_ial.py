"""How much does inter-sample attention cost? An IAL training step vs a plain cross-entropy step.

Same backbone, batch and optimiser, in one process, interleaved so that load from other
processes hits both alike. Prints the median time of each and the ratio (target <= 1.10x).
Usage: .venv/bin/python benchmarks/bench_ial.py [--backbone resnet10t] [--size 48] [--batch 63]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F

from rmfer.labels import label_names
from rmfer.models import NetworkConfig, build_network
from rmfer.training.ial.loss import IalLoss
from rmfer.training.loop import train_step
from rmfer.training.runtime import Precision


def plain_cross_entropy(net, batch):
    """The baseline: the same net's main classifier only, no projection, no attention."""
    features = net.backbone(batch["image"])
    loss = F.cross_entropy(net.classifier(features), batch["label"])
    return {"loss": loss}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backbone", default="resnet10t")
    parser.add_argument("--size", type=int, default=48)  # the demo's default
    parser.add_argument("--batch", type=int, default=63)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    net = build_network(NetworkConfig(args.backbone, 7, args.size, label_names(7))).train()
    optimiser = torch.optim.Adam(net.parameters(), lr=1e-4)
    precision = Precision(torch.device("cpu"), None)
    batch = {
        "image": torch.randn(args.batch, 3, args.size, args.size),
        "label": torch.arange(args.batch) % 7,
    }
    losses = {"ial": IalLoss(lambda_att=1.0, tau=1.0), "cross-entropy": plain_cross_entropy}
    times: dict[str, list[float]] = {name: [] for name in losses}
    for repeat in range(args.repeats + 2):
        for name, loss_fn in losses.items():
            started = time.perf_counter()
            train_step(net, batch, loss_fn, optimiser, precision)
            if repeat >= 2:  # warm-up
                times[name].append(time.perf_counter() - started)
    ial, plain = (statistics.median(times[name]) for name in ("ial", "cross-entropy"))
    print(f"{args.backbone} at {args.size} px, batch {args.batch}, {args.threads} threads, CPU")
    print(f"  cross-entropy step: {plain * 1000:.1f} ms (median of {args.repeats})")
    print(f"  IAL step:           {ial * 1000:.1f} ms")
    print(f"  ratio IAL / CE:     {ial / plain:.3f}x (target <= 1.10x)")


if __name__ == "__main__":
    main()
