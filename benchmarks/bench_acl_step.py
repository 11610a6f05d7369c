"""What does an ACL step cost against an IAL step on the same labeled batch? (issue: <= 2x)

At the paper's candidate counts (32 anchors, 50 positive and 50 negative candidates, rho 0.1,
a labeled batch of 32), in one process, interleaved so that load from other processes hits all
alike: an IAL step (train_step with IalLoss on the labeled batch) and ACL steps (AclObjective on
the same labeled batch plus the RM part) with the prior's embeddings refreshed every N steps
(`acl.embedding_refresh_steps`; N = 1 is the paper's method; `bank` = null, a memory bank that
is never refreshed and takes each trained face's z: filled with the whole pool before the timed
steps, the fill timed apart, as the one-off cost of a run), each both ways of
`acl.candidate_gradient` (true, the paper: the kept candidates train with their anchors;
false: the anchors alone, against the candidates' z from the scoring pass). The last lines time
an IAL step on a labeled batch as large as each gradient pass (labeled + anchors, + kept
candidates for the paper): the floor of any step that trains those faces, whatever the scoring
costs.
Drawing and reading the crops is
outside the timed step (the data side's job); each step gets a fresh draw, so the cache only
reuses faces that mining draws again. Times are means over a multiple of every N, so the
refresh steps count their share. The RM pool is synthetic random crops (`--videos` x
`--persons` x `--seconds` at 5 Hz): the reuse, hence N's saving, grows as the pool shrinks.
Usage: .venv/bin/python benchmarks/bench_acl_step.py [--backbone resnet10t] [--size 48]
       [--refresh 1 10 bank] [--steps 20] [--device cpu]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from rmfer.data.rm_faces import RMFaces
from rmfer.data.rm_sampler import RMSampler
from rmfer.faces.shards import ShardWriter
from rmfer.labels import label_names
from rmfer.models import NetworkConfig, build_network
from rmfer.training.acl.batches import crop_transform, rm_batch
from rmfer.training.acl.objective import AclObjective
from rmfer.training.ial.loss import IalLoss
from rmfer.training.loop import train_step
from rmfer.training.runtime import Precision, to_device

CROP = 64  # stored crop side; every crop is resized to the net's input anyway


def synthetic_pool(
    folder: Path, videos: int, persons: int, seconds: float, crop: int = CROP
) -> pd.DataFrame:
    """Random crops on 5 Hz tracks: the shapes facetrack writes, without a video."""
    rng = np.random.default_rng(0)
    rows = []
    for v in range(videos):
        writer = ShardWriter(folder / f"v{v}.npy", (crop, crop, 3))
        for step in range(int(seconds * 5)):
            for person in range(persons):
                offset = writer.append(rng.integers(0, 256, (crop, crop, 3), dtype=np.uint8))
                rows.append((f"v{v}", step / 5, person, f"v{v}.npy", offset))
        writer.finish(np.arange(writer.count))
    return pd.DataFrame(rows, columns=["video_id", "time_s", "person_id", "shard", "offset"])


def floor_sizes(args: argparse.Namespace) -> dict[str, int]:
    """Images in each kind of step's gradient pass: labeled and anchors, and with the paper's
    candidate gradient each anchor's kept candidates too. An IAL step on that many images is the
    floor of the step, whatever the scoring costs."""
    kept = round(args.rho * args.candidates)  # of each kind, per anchor
    return {
        "floor_paper": args.labeled + args.anchors * (1 + 2 * kept),
        "floor_anchors": args.labeled + args.anchors,
    }


def refresh_steps(text: str) -> int | None:
    """--refresh values: a number of steps, or `bank` (the memory bank, null in the conf)."""
    return None if text == "bank" else int(text)


def loss_name(refresh: int | None, gradient: bool) -> str:
    return ("acl_bank" if refresh is None else f"acl_n{refresh}") + ("" if gradient else "_anchors")


def fill_bank(objective: AclObjective, net: torch.nn.Module, faces: RMFaces) -> float:
    """Embed the whole pool (`len(faces)`) into a memory bank, as its first steps do; seconds."""
    ids = np.arange(len(faces))
    started = time.perf_counter()
    for start in range(0, len(ids), 1024):
        part = ids[start : start + 1024]
        crops = faces.read_tensor(part).to(next(net.parameters()).device)
        objective.embeddings.embed(net, crops, torch.from_numpy(part))
    return time.perf_counter() - started


def labeled_batch(size: int, side: int) -> dict[str, torch.Tensor]:
    return {"image": torch.randn(size, 3, side, side), "label": torch.arange(size) % 7}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backbone", default="resnet10t")
    parser.add_argument("--size", type=int, default=48)
    parser.add_argument("--labeled", type=int, default=32)
    parser.add_argument("--anchors", type=int, default=32)
    parser.add_argument("--candidates", type=int, default=50, help="positives = negatives")
    parser.add_argument("--rho", type=float, default=0.1)
    parser.add_argument("--refresh", type=refresh_steps, nargs="+", default=[1, 10, None])
    parser.add_argument("--steps", type=int, default=20, help="timed steps of each kind")
    parser.add_argument("--videos", type=int, default=4)
    parser.add_argument("--persons", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    device = torch.device(args.device)
    period = max(n for n in args.refresh + [1] if n is not None)
    steps = args.steps // period * period or period

    with tempfile.TemporaryDirectory() as temp:
        faces = RMFaces(synthetic_pool(Path(temp), args.videos, args.persons, args.seconds), temp)
        sampler = RMSampler(
            window_s=1.0, distance_s=6.0, positives=args.candidates, negatives=args.candidates
        ).fit(faces.tracks)
        net = build_network(NetworkConfig(args.backbone, 7, args.size, label_names(7)))
        net = net.to(device).train()
        optimiser = torch.optim.Adam(net.parameters(), lr=1e-6)
        precision = Precision(device, None)
        labeled = to_device(labeled_batch(args.labeled, args.size), device)
        losses = {"ial": IalLoss(lambda_att=1.0, tau=1.0)}
        for n in args.refresh:
            for gradient in (True, False):
                losses[loss_name(n, gradient)] = AclObjective(
                    crop_transform(net.config), lambda_att=1.0, tau=1.0, mu=1.0, rho=args.rho,
                    pairing="prior", bn_mode="joint", flip=0.5, chunk=256, seed=0,
                    refresh_steps=n, candidate_gradient=gradient,
                )  # fmt: skip
        plain = {"ial": labeled}  # no RM part
        for name, size in floor_sizes(args).items():
            losses[name] = losses["ial"]
            plain[name] = to_device(labeled_batch(size, args.size), device)
        fills = {
            name: fill_bank(loss, net, faces)
            for name, loss in losses.items()
            if isinstance(loss, AclObjective) and loss.embeddings.is_bank
        }
        rng = np.random.default_rng(0)
        times: dict[str, list[float]] = {name: [] for name in losses}
        counts: dict[str, list[tuple[float, float, float]]] = {name: [] for name in losses}
        for repeat in range(steps + 1):  # the first is a warm-up
            rm = rm_batch(sampler, faces, rng, args.anchors)
            for name, loss in losses.items():
                batch = dict(plain[name]) if name in plain else {**labeled, **to_device(rm, device)}
                if device.type == "cuda":
                    torch.cuda.synchronize()
                started = time.perf_counter()
                terms = train_step(net, batch, loss, optimiser, precision)
                if device.type == "cuda":
                    torch.cuda.synchronize()
                if repeat >= 1:
                    times[name].append(time.perf_counter() - started)
                    counts[name].append(
                        tuple(terms.get(k, 0.0) for k in ("rm_faces_scored", "rm_faces_trained"))
                        + (float(len(rm["rm_crops"])),)
                    )
    report(args, steps, times, counts, fills, len(faces))


def report(
    args: argparse.Namespace,
    steps: int,
    times: dict[str, list[float]],
    counts: dict[str, list[tuple[float, float, float]]],
    fills: dict[str, float],
    pool: int,
) -> None:
    ial = statistics.mean(times["ial"])
    print(
        f"{args.backbone} at {args.size} px, {args.threads} threads, {args.device}; "
        f"{args.labeled} labeled + {args.anchors} anchors x ({args.candidates} + "
        f"{args.candidates}) candidates, rho {args.rho}; pool {args.videos} videos x "
        f"{args.persons} persons x {args.seconds:g} s at 5 Hz; mean of {steps} steps"
    )
    print(f"  IAL step: {ial * 1000:.1f} ms")
    for name in times:
        if name == "ial" or name.startswith("floor"):
            continue
        mean = statistics.mean(times[name])
        scored, trained, drawn = (statistics.mean(c) for c in zip(*counts[name], strict=True))
        refresh, _, anchors_only = name.removeprefix("acl_").removeprefix("n").partition("_")
        gradient = "anchors only" if anchors_only else "candidates too"
        cache = "a memory bank" if refresh == "bank" else f"refreshed every {refresh} steps"
        print(
            f"  ACL step, {cache}, gradient {gradient}: "
            f"{mean * 1000:.1f} ms = {mean / ial:.2f}x IAL (target <= 2x); per step "
            f"{drawn:.0f} distinct RM faces, {scored:.0f} embedded, {trained:.0f} with a gradient"
        )
        if name in fills:
            print(
                f"    filling the bank, once per run ({pool} faces): "
                f"{fills[name]:.1f} s = {fills[name] / ial:.0f} IAL steps"
            )
    for name, size in floor_sizes(args).items():
        floor = statistics.mean(times[name])
        kind = "the paper's step" if name == "floor_paper" else "an anchors-only step"
        print(
            f"  floor of {kind} (an IAL step on {size} images, no scoring): "
            f"{floor * 1000:.1f} ms = {floor / ial:.2f}x IAL"
        )


if __name__ == "__main__":
    main()
