"""One entry point for every benchmark format, so configuration names a format, not a function."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from rmfer.data.affectnet import read_affectnet
from rmfer.data.ferplus import read_ferplus
from rmfer.data.image_folder import read_image_folder
from rmfer.data.rafdb import read_rafdb
from rmfer.errors import ParameterError

FORMATS: tuple[str, ...] = ("rafdb", "affectnet", "ferplus", "image_folder")


def read_benchmark(
    format: str,
    path: Path | str,
    *,
    num_classes: int | None = None,
    soft_labels: bool = False,
    rafdb_images: str = "aligned",
    label_order: str | None = None,
) -> pd.DataFrame:
    """The `benchmark_index` of the benchmark at `path`; options apply where the format has them.

    num_classes: AffectNet 7 (default) or 8; FERPlus 8 (default) or 7; RAF-DB only 7;
    image folder None (auto). soft_labels: FERPlus only. rafdb_images: aligned or original.
    label_order: image folder only, for class folders named by id (rafdb, affectnet, canonical).
    """
    if format not in FORMATS:
        raise ParameterError(f"unknown benchmark format {format!r}; allowed: {list(FORMATS)}")
    if soft_labels and format != "ferplus":
        raise ParameterError(f"soft_labels exist only for ferplus (vote counts), not {format!r}")
    if label_order is not None and format != "image_folder":
        raise ParameterError(
            f"label_order applies to image_folder (class folders named by id), not {format!r}"
        )
    if format == "rafdb":
        if num_classes not in (None, 7):
            raise ParameterError(f"RAF-DB basic has 7 classes, got num_classes={num_classes!r}")
        return read_rafdb(path, images=rafdb_images)
    if format == "affectnet":
        return read_affectnet(path, num_classes=num_classes or 7)
    if format == "ferplus":
        return read_ferplus(path, num_classes=num_classes or 8, soft_labels=soft_labels)
    return read_image_folder(path, num_classes=num_classes, label_order=label_order)
