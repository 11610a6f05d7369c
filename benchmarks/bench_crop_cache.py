"""Epoch time with the benchmark-face crop cache against decoding every epoch (issue 15).

Two small worlds from the demo generator (rmfer.synth, the demo's parameters shrunk):
- photos: each rendered face (its 192 px "original") enlarged to a --face px box and pasted at
  a random place into a --photo px JPEG of smooth noise, indexed with its face box: the
  AffectNet layout, whose large photos make decoding the cost of an epoch;
- aligned: the demo's own RAF-DB aligned 100 px JPEGs (the demo's default input).
An epoch is one pass of the training input pipeline over the world: BenchmarkImages with ial's
training transform (the demo's augmentation), DataLoader batches of 32 in the main process. The
network is left out: it costs the same either way. Runs alternate, so load from other processes
hits both alike; the medians are shown, and the cache's one-time build.
Usage: .venv/bin/python benchmarks/bench_crop_cache.py [--images 280] [--sizes 112 260]
       [--repeats 3] [--photo 1024 768] [--face 320]
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import yaml
from PIL import Image
from torch.utils.data import DataLoader

from rmfer.data import read_benchmark
from rmfer.data.crop_cache import open_crop_cache
from rmfer.data.dataset import BenchmarkImages
from rmfer.data.transforms import Augmentation, train_transform
from rmfer.synth import world
from rmfer.synth.benchmark import label_file_text
from rmfer.synth.params import SynthParams

ROOT = Path(__file__).resolve().parents[1]
MEAN, STD = (0.5, 0.5, 0.5), (0.5, 0.5, 0.5)


def render_faces(images: int) -> tuple[world.WorldPlan, dict[str, bytes]]:
    """About `images` demo faces (7 classes, train split), each as original and aligned JPEG."""
    params = yaml.safe_load((ROOT / "conf/base/parameters_synth.yml").read_text())["synth"]
    per_class = max(1, images // 7)
    params["benchmark"].update(
        identities_train=max(2, per_class // 4), identities_test=1,
        per_class_train=per_class, per_class_test=1,
    )  # fmt: skip
    params["workers"] = 2
    plan = world.plan_world(SynthParams.from_dict(params))
    return plan, world.render_benchmark(plan, workers=2)


def aligned_world(root: Path, plan: world.WorldPlan, files: dict[str, bytes]) -> pd.DataFrame:
    for key, data in files.items():
        path = root / "Image" / f"{key}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    (root / "EmoLabel").mkdir(parents=True, exist_ok=True)
    (root / "EmoLabel/list_patition_label.txt").write_text(label_file_text(list(plan.items)))
    index = read_benchmark("rafdb", root)
    return index[index["split"] == "train"].reset_index(drop=True)


def photo_world(
    root: Path, aligned: pd.DataFrame, files: dict[str, bytes], photo: list[int], face: int
) -> pd.DataFrame:
    """Each face pasted into a large photo; the index row carries its box."""
    rng = np.random.default_rng(0)
    width, height = photo
    rows = []
    root.mkdir(parents=True, exist_ok=True)
    for k, row in enumerate(aligned.itertuples(index=False)):
        stem = Path(row.path).stem.removesuffix("_aligned")
        original = Image.open(io.BytesIO(files[f"original/{stem}"])).convert("RGB")
        small = rng.integers(0, 256, (height // 32, width // 32, 3), dtype=np.uint8)
        canvas = Image.fromarray(small).resize((width, height), Image.BILINEAR)
        x, y = int(rng.integers(0, width - face)), int(rng.integers(0, height - face))
        canvas.paste(original.resize((face, face), Image.BILINEAR), (x, y))
        path = root / f"photo_{k}.jpg"
        canvas.save(path, quality=90)
        rows.append((str(path), row.label, "train", "photos", x, y, face, face))
    columns = ["path", "label", "split", "dataset", "face_x", "face_y", "face_width", "face_height"]
    return pd.DataFrame(rows, columns=columns)


def epoch_seconds(data: BenchmarkImages) -> float:
    started = time.perf_counter()
    for _ in DataLoader(data, batch_size=32, shuffle=True, generator=torch.Generator()):
        pass
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=280)
    parser.add_argument("--sizes", type=int, nargs="+", default=[112, 260])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--photo", type=int, nargs=2, default=[1024, 768])
    parser.add_argument("--face", type=int, default=320)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    conf = yaml.safe_load((ROOT / "conf/base/parameters_ial.yml").read_text())["ial"]
    augmentation = Augmentation(**conf["augmentation"])

    with tempfile.TemporaryDirectory() as temp:
        plan, files = render_faces(args.images)
        aligned = aligned_world(Path(temp) / "aligned", plan, files)
        photos = photo_world(Path(temp) / "photos", aligned, files, args.photo, args.face)
        print(
            f"worlds: {len(photos)} photos of {args.photo[0]}x{args.photo[1]} px with a "
            f"{args.face} px face box; {len(aligned)} aligned 100 px faces; "
            f"{args.repeats} epochs each way, batch 32, main process"
        )
        print(f"{'world':8} {'size':>5} {'decode s':>9} {'cache s':>8} {'ratio':>6} {'build s':>8}")
        for name, index in (("photos", photos), ("aligned", aligned)):
            for size in args.sizes:
                tf = train_transform(size, MEAN, STD, augmentation)
                started = time.perf_counter()
                crops = open_crop_cache(index, size, Path(temp) / "cache", workers=0)
                build = time.perf_counter() - started
                plain, cached = (
                    BenchmarkImages(index, tf, 7),
                    BenchmarkImages(index, tf, 7, crops=crops),
                )
                times: dict[str, list[float]] = {"decode": [], "cache": []}
                for _ in range(args.repeats):
                    times["decode"].append(epoch_seconds(plain))
                    times["cache"].append(epoch_seconds(cached))
                decode, cache = (statistics.median(times[k]) for k in ("decode", "cache"))
                print(
                    f"{name:8} {size:>5} {decode:>9.2f} {cache:>8.2f} {decode / cache:>5.1f}x "
                    f"{build:>8.2f}"
                )


if __name__ == "__main__":
    main()
