"""Any other data as `<root>/<split>/<class name>/<image>` (formats.md)."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from rmfer.data.index import BenchmarkFormatError, log_summary, warn_empty_classes
from rmfer.labels import canonical_id, label_names

logger = logging.getLogger(__name__)

SPLIT_NAMES = {
    "train": "train",
    "val": "validation",
    "valid": "validation",
    "validation": "validation",
    "test": "test",
}
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}


def read_image_folder(root: Path | str, num_classes: int | None = None) -> pd.DataFrame:
    """Index class folders; `num_classes` None means 8 when a Contempt folder exists, else 7.

    Files that are not images (by suffix) are not indexed; they are counted in the log line.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(
            f"image folder {root} does not exist; expected <split>/<class>/<image>"
        )
    rows: list[dict] = []
    class_folders: dict[tuple[str, int], Path] = {}
    ignored = 0
    for split_dir in sorted(p for p in root.iterdir() if not p.name.startswith(".")):
        split = SPLIT_NAMES.get(split_dir.name.lower())
        if split is None or not split_dir.is_dir():
            raise BenchmarkFormatError(
                f"{split_dir}: expected only split folders {sorted(SPLIT_NAMES)} under {root}"
            )
        for class_dir in sorted(p for p in split_dir.iterdir() if not p.name.startswith(".")):
            if not class_dir.is_dir():
                raise BenchmarkFormatError(
                    f"{class_dir}: expected only class folders under {split_dir}"
                )
            try:
                label = canonical_id(class_dir.name)
            except ValueError as error:
                raise BenchmarkFormatError(f"{class_dir}: {error}") from None
            class_folders[(split, label)] = class_dir
            for file in sorted(class_dir.iterdir()):
                if file.is_file() and file.suffix.lower() in IMAGE_SUFFIXES:
                    rows.append(
                        {
                            "path": str(file),
                            "label": label,
                            "split": split,
                            "dataset": "image_folder",
                        }
                    )
                else:
                    ignored += 1
    if not rows:
        raise BenchmarkFormatError(f"image folder {root} holds no image ({sorted(IMAGE_SUFFIXES)})")
    index = pd.DataFrame(rows).astype({"label": "int64"})
    classes = num_classes or (8 if (index["label"] == 7).any() else 7)
    label_names(classes)
    too_high = index[index["label"] >= classes]
    if not too_high.empty:
        raise BenchmarkFormatError(
            f"{Path(too_high['path'].iloc[0]).parent}: class id {int(too_high['label'].iloc[0])} "
            f"does not exist with num_classes={classes}"
        )
    empty_sized = [p for p in index["path"] if Path(p).stat().st_size == 0]
    if empty_sized:
        raise BenchmarkFormatError(f"image {empty_sized[0]} is empty (0 bytes)")
    warn_empty_classes(index, classes, f"image folder {root}")
    log_summary(index, f"image folder {root}", {"non-image files": ignored} if ignored else None)
    return index
