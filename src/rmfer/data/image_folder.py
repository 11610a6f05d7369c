"""Any other data as `<root>/<split>/<class>/<image>` (docs/data-formats.md).

`root` holds the split folders, or is the folder above the one that does (a copy unpacked to a
folder of its own name, such as `AffectNet/train/0/`).

A class folder is named by its expression (`happy`, `Sadness`) or, with `label_order`, by its
id in a provider's numbering (RAF-DB's 1..7, AffectNet's 0..7), the way many copies are shared.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from rmfer.data.index import (
    BenchmarkFormatError,
    first_holding,
    layout_candidates,
    layout_not_found,
    log_summary,
    visible_entries,
    warn_empty_classes,
)
from rmfer.errors import InputError, ParameterError
from rmfer.labels import LABEL_ORDERS, canonical_from_id, canonical_id, label_names

logger = logging.getLogger(__name__)

SPLIT_NAMES = {
    "train": "train",
    "val": "validation",
    "valid": "validation",
    "validation": "validation",
    "test": "test",
}
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}
LAYOUT = (
    "<split>/<class>/<image>, the split one of "
    f"{', '.join(SPLIT_NAMES)} and the class an expression name or an id with label_order"
)
LABEL_ORDER_HELP = (
    "set label_order to rafdb (RAF-DB's ids 1..7), affectnet (AffectNet's 0..7) or canonical "
    "(0..7 in the canonical order, docs/data-formats.md)"
)


def class_label(class_dir: Path, label_order: str | None) -> int:
    """The canonical id of a class folder: from its name, or from its id in `label_order`."""
    name = class_dir.name.strip()
    try:
        if not name.isdigit():
            return canonical_id(name)
        if label_order is None:
            raise InputError(f"a class folder named by id; {LABEL_ORDER_HELP}")
        return canonical_from_id(int(name), label_order)
    except InputError as error:
        raise BenchmarkFormatError(f"{class_dir}: {error}") from None


def _holds_splits(folder: Path) -> bool:
    return any(p.is_dir() and p.name.lower() in SPLIT_NAMES for p in visible_entries(folder))


def find_split_folders(root: Path) -> Path:
    """The folder of split folders: `root`, or its only subfolder (a copy's own folder)."""
    candidates = layout_candidates(root, only_subfolder=True)
    found = first_holding(candidates, _holds_splits)
    if found is not None:
        return found
    raise layout_not_found(
        "split folders",
        root,
        [folder / f"{{{','.join(SPLIT_NAMES)}}}/" for folder in reversed(candidates)],
        [LAYOUT],
        "put the split folders, each holding class folders, there",
    )


def read_image_folder(
    root: Path | str, num_classes: int | None = None, label_order: str | None = None
) -> pd.DataFrame:
    """Index class folders; `num_classes` None means 8 when a Contempt folder exists, else 7.

    `label_order` (rafdb, affectnet, canonical) reads folders named by class id; None: names.

    Files that are not images (by suffix) are not indexed; they are counted in the log line.
    """
    if label_order is not None and label_order not in LABEL_ORDERS:
        raise ParameterError(
            f"unknown label_order {label_order!r}; allowed: {sorted(LABEL_ORDERS)} or null"
        )
    root = find_split_folders(Path(root))
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
            label = class_label(class_dir, label_order)
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
