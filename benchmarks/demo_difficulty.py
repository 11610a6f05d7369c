"""Is the demo benchmark neither trivial nor hopeless?

Reads the demo world written by `kedro run --pipeline=synth` and prints:
- test accuracy of logistic regression on raw pixels vs a small CNN (timm) on the same labels;
- how often a face's nearest pixel-space neighbour shares its identity vs its expression.
Usage: .venv/bin/python benchmarks/demo_difficulty.py [--epochs 15] [--demo data/01_raw/demo]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import timm
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import NearestNeighbors
from sklearn.preprocessing import StandardScaler


def load(demo: Path, size: int) -> tuple[np.ndarray, pd.DataFrame]:
    truth = pd.read_parquet(demo / "rafdb_truth.parquet")
    images = []
    for name in truth["image"]:
        path = demo / "rafdb/basic/Image/aligned" / name.replace(".jpg", "_aligned.jpg")
        image = cv2.imread(str(path))[:, :, ::-1]
        images.append(cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA))
    return np.stack(images), truth


def train_cnn(x_train, y_train, x_test, epochs: int, classes: int) -> np.ndarray:
    torch.manual_seed(0)
    model = timm.create_model("resnet10t", num_classes=classes, pretrained=False)
    optimiser = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
    to_tensor = lambda a: torch.from_numpy(a).permute(0, 3, 1, 2).float().div(255).sub(0.5)  # noqa: E731
    xt, yt = to_tensor(x_train), torch.from_numpy(y_train)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, 2e-3, total_steps=epochs * (len(xt) // 64 + 1)
    )
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(xt))
        for start in range(0, len(xt), 64):
            idx = order[start : start + 64]
            batch = xt[idx]
            flip = torch.rand(len(idx)) < 0.5
            batch[flip] = batch[flip].flip(3)
            loss = torch.nn.functional.cross_entropy(model(batch), yt[idx])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
        print(f"  cnn epoch {epoch + 1}/{epochs} loss {loss.item():.3f}", flush=True)
    model.eval()
    with torch.no_grad():
        return model(to_tensor(x_test)).argmax(1).numpy()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--demo", type=Path, default=Path("data/01_raw/demo"))
    parser.add_argument("--epochs", type=int, default=15)
    args = parser.parse_args()
    torch.set_num_threads(2)
    images, truth = load(args.demo, 64)
    classes = sorted(truth["label"].unique())
    y = truth["label"].map({c: k for k, c in enumerate(classes)}).to_numpy()
    train, test = (truth["split"] == "train").to_numpy(), (truth["split"] == "test").to_numpy()
    print(
        f"{train.sum()} train / {test.sum()} test images, {len(classes)} classes, "
        f"chance {1 / len(classes):.3f}"
    )

    pixels = images[:, ::2, ::2].reshape(len(images), -1).astype(np.float32) / 255
    scaler = StandardScaler().fit(pixels[train])
    start = time.perf_counter()
    logreg = LogisticRegression(max_iter=2000, C=0.01).fit(
        scaler.transform(pixels[train]), y[train]
    )
    logreg_acc = (logreg.predict(scaler.transform(pixels[test])) == y[test]).mean()
    print(
        f"logistic regression on raw pixels: test accuracy {logreg_acc:.3f} "
        f"({time.perf_counter() - start:.0f} s)"
    )

    start = time.perf_counter()
    predicted = train_cnn(images[train], y[train], images[test], args.epochs, len(classes))
    cnn_acc = (predicted == y[test]).mean()
    print(
        f"small CNN (timm resnet10t, 64 px, {args.epochs} epochs): test accuracy {cnn_acc:.3f} "
        f"({time.perf_counter() - start:.0f} s)"
    )

    for split, mask in (("train", train), ("test", test)):
        neighbours = NearestNeighbors(n_neighbors=2).fit(pixels[mask])
        nearest = neighbours.kneighbors(pixels[mask], return_distance=False)[:, 1]
        ids, dominant = truth["identity"].to_numpy()[mask], truth["dominant"].to_numpy()[mask]
        labels = y[mask]
        print(
            f"{split}: nearest pixel neighbour shares identity {np.mean(ids == ids[nearest]):.3f}, "
            f"dominant expression {np.mean(dominant == dominant[nearest]):.3f}, "
            f"label {np.mean(labels == labels[nearest]):.3f}"
        )


if __name__ == "__main__":
    main()
