"""The benchmark index every reader produces, and the checks every reader shares.

One table shape for all providers lets training, ACL and evaluation ignore where the data
came from; the checks live here so each reader reports bad input the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from rmfer.labels import label_names

logger = logging.getLogger(__name__)

INDEX_COLUMNS: tuple[str, ...] = ("path", "label", "split", "dataset")
SPLITS: tuple[str, ...] = ("train", "validation", "test")
BOX_COLUMNS: tuple[str, ...] = ("face_x", "face_y", "face_width", "face_height")
CSV_ROW_COLUMN = "csv_row"  # FERPlus: the data row of fer2013.csv that holds the pixels
SOFT_PREFIX = "soft_"  # FERPlus soft labels: one column per canonical class, vote fractions


class BenchmarkFormatError(ValueError):
    """A benchmark file breaks its provider's layout; the message names the file and line."""


def where(path: Path | str, line: int | None = None) -> str:
    """`file, line N` for error messages, so users can open the exact spot."""
    return f"{path}, line {line}" if line is not None else str(path)


def require_file(path: Path, what: str, layout: str) -> Path:
    """Fail with what was expected and where, instead of a bare FileNotFoundError later."""
    if not path.is_file():
        raise FileNotFoundError(f"{what} not found: {path}. Expected layout: {layout}")
    return path


def require_images(paths: Iterable[str], sources: Iterable[str]) -> None:
    """Every indexed image exists and is not empty; `sources` say which record named it."""
    for image, source in zip(paths, sources, strict=True):
        file = Path(image)
        if not file.is_file():
            raise FileNotFoundError(f"image {file} named at {source} does not exist")
        if file.stat().st_size == 0:
            raise BenchmarkFormatError(f"image {file} named at {source} is empty (0 bytes)")


def soft_columns(num_classes: int) -> list[str]:
    """FERPlus soft-label column names, in canonical order."""
    return [f"{SOFT_PREFIX}{name.lower()}" for name in label_names(num_classes)]


def warn_empty_classes(index: pd.DataFrame, num_classes: int, source: str) -> list[str]:
    """A class with no image in a split is legal but usually a mistake: say so, once per pair."""
    warnings = []
    names = label_names(num_classes)
    for split in sorted(index["split"].unique(), key=SPLITS.index):
        present = set(index.loc[index["split"] == split, "label"].tolist())
        for label, name in enumerate(names):
            if label not in present:
                message = f"{source}: split {split!r} has no image of class {name} (id {label})"
                logger.warning(message)
                warnings.append(message)
    return warnings


def log_summary(index: pd.DataFrame, source: str, dropped: dict[str, int] | None = None) -> None:
    """One line with the counts per split and what was dropped, as the documented drops require."""
    counts = ", ".join(
        f"{split} {int((index['split'] == split).sum())}"
        for split in SPLITS
        if (index["split"] == split).any()
    )
    dropped_text = ""
    if dropped:
        dropped_text = "; dropped " + ", ".join(f"{n} {why}" for why, n in dropped.items())
    logger.info("%s: %d images (%s)%s", source, len(index), counts, dropped_text)


def validate_index(index: pd.DataFrame, num_classes: int | None = None) -> int:
    """Check an index from any source before training on it; returns the number of classes."""
    missing = [c for c in INDEX_COLUMNS if c not in index.columns]
    if missing:
        raise BenchmarkFormatError(f"benchmark index lacks columns {missing}; has {list(index)}")
    if index.empty:
        raise BenchmarkFormatError("benchmark index is empty")
    bad_splits = sorted(set(index["split"]) - set(SPLITS))
    if bad_splits:
        raise BenchmarkFormatError(
            f"benchmark index has unknown splits {bad_splits}; allowed {SPLITS}"
        )
    labels = index["label"]
    if not pd.api.types.is_integer_dtype(labels):
        raise BenchmarkFormatError(f"benchmark index labels must be integers, got {labels.dtype}")
    inferred = 8 if int(labels.max()) == 7 else 7
    classes = num_classes or inferred
    label_names(classes)
    if int(labels.min()) < 0 or int(labels.max()) >= classes:
        raise BenchmarkFormatError(
            f"benchmark index labels span {int(labels.min())}..{int(labels.max())}, "
            f"outside 0..{classes - 1} for {classes} classes"
        )
    return classes
