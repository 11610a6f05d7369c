"""One entry point for every benchmark format, so configuration names a format, not a function."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from rmfer.data.affectnet import read_affectnet
from rmfer.data.ferplus import read_ferplus
from rmfer.data.image_folder import read_image_folder
from rmfer.data.rafdb import read_rafdb

FORMATS: tuple[str, ...] = ("rafdb", "affectnet", "ferplus", "image_folder")


def read_benchmark(
    format: str,
    path: Path | str,
    *,
    num_classes: int | None = None,
    soft_labels: bool = False,
    rafdb_images: str = "aligned",
) -> pd.DataFrame:
    """The `benchmark_index` of the benchmark at `path`; options apply where the format has them.

    num_classes: AffectNet 7 (default) or 8; FERPlus 8 (default) or 7; RAF-DB only 7;
    image folder None (auto). soft_labels: FERPlus only. rafdb_images: aligned or original.
    """
    if format not in FORMATS:
        raise ValueError(f"unknown benchmark format {format!r}; allowed: {list(FORMATS)}")
    if soft_labels and format != "ferplus":
        raise ValueError(f"soft_labels exist only for ferplus (vote counts), not {format!r}")
    if format == "rafdb":
        if num_classes not in (None, 7):
            raise ValueError(f"RAF-DB basic has 7 classes, got num_classes={num_classes!r}")
        return read_rafdb(path, images=rafdb_images)
    if format == "affectnet":
        return read_affectnet(path, num_classes=num_classes or 7)
    if format == "ferplus":
        return read_ferplus(path, num_classes=num_classes or 8, soft_labels=soft_labels)
    return read_image_folder(path, num_classes=num_classes)
