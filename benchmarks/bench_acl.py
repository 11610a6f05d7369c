"""What does ACL cost? (a) mining vs training, (b) an ACL step vs a SimCLR-style NT-Xent step.

(a) The RM sampler draws `--anchors` anchors with their candidates and reads every distinct
    crop from the shards (what each training step needs); target: at least 20x faster than a
    training step consumes them.
(b) An ACL step (train_step with AclObjective: labeled batch + anchors, the prior's eval-mode
    scoring pass, the gradient pass over the labeled images, the anchors and the kept
    candidates) vs a plain NT-Xent step over the same images: the labeled images and every RM
    face of the step, through the same net in one batch, paired as two views. Target <= 1.2x.
    For reference it also prints NT-Xent over only the images the ACL step backpropagates.
Same process, same optimiser (Adam), interleaved so that load from other processes hits all
alike; medians. Reads the demo's face_tracks and rm_faces when present (`kedro run
--pipeline=facetrack`), else writes a synthetic world of random crops to a temporary folder.
Usage: .venv/bin/python benchmarks/bench_acl.py [--backbone resnet10t] [--size 48] [--repeats 9]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from rmfer.data.rm_faces import RMFaces
from rmfer.data.rm_sampler import RMSampler
from rmfer.faces.shards import ShardWriter
from rmfer.labels import label_names
from rmfer.models import NetworkConfig, build_network
from rmfer.training.acl.batches import crop_transform, rm_batch
from rmfer.training.acl.objective import AclObjective
from rmfer.training.loop import train_step
from rmfer.training.runtime import Precision

TRACKS = Path("data/03_primary/face_tracks.parquet")
SHARDS = Path("data/03_primary/rm_faces")


def synthetic_world(folder: Path, videos: int = 4, persons: int = 5, frames: int = 120):
    """Random 112 px crops, 5 Hz tracks: the shapes facetrack writes, without a video."""
    rng = np.random.default_rng(0)
    rows = []
    for v in range(videos):
        writer = ShardWriter(folder / f"v{v}.npy", (112, 112, 3))
        for step in range(frames):
            for person in range(persons):
                offset = writer.append(rng.integers(0, 256, (112, 112, 3), dtype=np.uint8))
                rows.append((f"v{v}", step / 5, person, f"v{v}.npy", offset))
        writer.finish(np.arange(writer.count))
    return pd.DataFrame(rows, columns=["video_id", "time_s", "person_id", "shard", "offset"])


def nt_xent(net, batch, tau: float):
    """SimCLR's loss: images 2k and 2k+1 are two views of one sample, all others negatives."""
    z = F.normalize(net(batch["image"]).embeddings.float(), dim=1)
    logits = z @ z.T / tau
    logits.fill_diagonal_(float("-inf"))
    partner = torch.arange(len(z)) ^ 1
    return {"loss": F.cross_entropy(logits, partner)}


def median_ms(times: list[float]) -> float:
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backbone", default="resnet10t")
    parser.add_argument("--size", type=int, default=48)
    parser.add_argument("--labeled", type=int, default=63)
    parser.add_argument("--anchors", type=int, default=16)
    parser.add_argument("--candidates", type=int, default=10, help="positives = negatives")
    parser.add_argument("--rho", type=float, default=0.2)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--draws", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    with tempfile.TemporaryDirectory() as temp:
        if TRACKS.exists() and SHARDS.is_dir():
            tracks, folder, source = pd.read_parquet(TRACKS), SHARDS, "the demo's rm_faces"
        else:
            folder, source = Path(temp), "synthetic random crops"
            tracks = synthetic_world(folder)
        faces = RMFaces(tracks, folder)
        sampler = RMSampler(
            window_s=0.5, distance_s=6.0, positives=args.candidates, negatives=args.candidates
        ).fit(faces.tracks)
        rng = np.random.default_rng(0)

        # (a) drawing and reading, alone
        draw_times = []
        for _ in range(args.draws):
            started = time.perf_counter()
            rm_batch(sampler, faces, rng, args.anchors)
            draw_times.append(time.perf_counter() - started)

        # (b) the steps
        net = build_network(NetworkConfig(args.backbone, 7, args.size, label_names(7))).train()
        optimiser = torch.optim.Adam(net.parameters(), lr=1e-5)
        precision = Precision(torch.device("cpu"), None)
        prepare = crop_transform(net.config)
        acl = AclObjective(
            prepare, lambda_att=1.0, tau=0.1, mu=1.0, rho=args.rho, pairing="prior",
            bn_mode="joint", flip=0.5, chunk=256, seed=0,
        )  # fmt: skip
        labeled = {
            "image": torch.randn(args.labeled, 3, args.size, args.size),
            "label": torch.arange(args.labeled) % 7,
        }
        batches = [{**labeled, **rm_batch(sampler, faces, rng, args.anchors)} for _ in range(4)]
        trained = len(acl.select(net, batches[0]).images)
        everything = torch.cat([labeled["image"], prepare(batches[0]["rm_crops"])])
        everything = everything[: len(everything) // 2 * 2]
        subset = torch.cat([labeled["image"], prepare(batches[0]["rm_crops"][:trained])])
        subset = subset[: len(subset) // 2 * 2]
        steps: dict[str, Callable[[int], None]] = {
            "acl": lambda k: train_step(net, dict(batches[k % 4]), acl, optimiser, precision),
            "nt_xent_same_images": lambda k: train_step(
                net, {"image": everything}, lambda n, b: nt_xent(n, b, 0.1), optimiser, precision
            ),
            "nt_xent_gradient_images": lambda k: train_step(
                net, {"image": subset}, lambda n, b: nt_xent(n, b, 0.1), optimiser, precision
            ),
        }
        times: dict[str, list[float]] = {name: [] for name in steps}
        for repeat in range(args.repeats + 1):
            for name, step in steps.items():
                started = time.perf_counter()
                step(repeat)
                if repeat >= 1:  # warm-up
                    times[name].append(time.perf_counter() - started)

    print_results(
        args, source, len(batches[0]["rm_crops"]), trained, draw_times, times,
        len(everything), len(subset),
    )  # fmt: skip


def print_results(
    args: argparse.Namespace,
    source: str,
    scored: int,
    trained: int,
    draw_times: list[float],
    times: dict[str, list[float]],
    everything: int,
    subset: int,
) -> None:
    """The medians, and the two ratios against their targets."""
    draw, step_acl = median_ms(draw_times), median_ms(times["acl"])
    same, grad = (
        median_ms(times["nt_xent_same_images"]),
        median_ms(times["nt_xent_gradient_images"]),
    )
    print(
        f"{args.backbone} at {args.size} px, {args.threads} threads, CPU; {source}; "
        f"{args.labeled} labeled + {args.anchors} anchors x ({args.candidates} + "
        f"{args.candidates}) candidates, rho {args.rho}"
    )
    print(f"  RM faces per step: {scored} scored by the prior, {trained} with a gradient")
    print(f"(a) draw + read crops: {draw:.1f} ms (median of {args.draws})")
    print(f"    ACL training step:  {step_acl:.1f} ms (median of {args.repeats})")
    print(f"    ratio step / draw:  {step_acl / draw:.1f}x (target >= 20x)")
    print(f"(b) NT-Xent, same {everything} images: {same:.1f} ms")
    print(f"    ratio ACL / NT-Xent: {step_acl / same:.3f}x (target <= 1.2x)")
    print(f"    for reference, NT-Xent over the {subset} gradient images only: {grad:.1f} ms")
    print(f"    ratio ACL / that:    {step_acl / grad:.3f}x (the prior's extra scoring pass)")


if __name__ == "__main__":
    main()
