"""RAF-DB, basic emotion subset: one label file, the split in each file name.

The layout and RAF-DB's label order are in docs/data-formats.md.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from rmfer.data.index import (
    BenchmarkFormatError,
    first_holding,
    layout_candidates,
    layout_not_found,
    log_summary,
    require_images,
    warn_empty_classes,
    where,
)
from rmfer.errors import ParameterError
from rmfer.labels import RAFDB_TO_CANONICAL

LABEL_FILE = "EmoLabel/list_patition_label.txt"  # sic: RAF-DB spells it "patition"
SPLIT_PREFIXES = {"train_": "train", "test_": "test"}
IMAGE_VARIANTS = ("aligned", "original")
ARCHIVE_FOLDER = "basic"  # what RAF-DB's basic archive unpacks to
LAYOUT = "basic/EmoLabel/list_patition_label.txt with basic/Image/{aligned,original}/, as unpacked"
CLASS_FOLDERS_LAYOUT = (
    "a copy in <split>/<class id 1..7>/ folders is read as format image_folder with label_order "
    "rafdb"
)


def image_path(root: Path, name: str, variant: str) -> Path:
    """Aligned files insert `_aligned` before the extension; originals keep the listed name."""
    if variant == "original":
        return root / "Image" / "original" / name
    stem, dot, suffix = name.rpartition(".")
    return root / "Image" / "aligned" / f"{stem}_aligned{dot}{suffix}"


def find_basic(root: Path) -> Path:
    """The `basic/` folder: `root` itself or the `basic/` in it (as RAF-DB's archive unpacks)."""
    candidates = layout_candidates(root, (ARCHIVE_FOLDER,))
    found = first_holding(candidates, lambda folder: (folder / LABEL_FILE).is_file())
    if found is not None:
        return found
    inside = root.name != ARCHIVE_FOLDER
    raise layout_not_found(
        "RAF-DB",
        root,
        [folder / LABEL_FILE for folder in reversed(candidates)],  # the archive's folder first
        [LAYOUT, CLASS_FOLDERS_LAYOUT],
        "put the archive's basic/ folder there"
        if inside
        else "put what the archive's basic/ folder holds there",
    )


def read_rafdb(root: Path | str, images: str = "aligned") -> pd.DataFrame:
    """Index RAF-DB basic at `root` with canonical labels; 7 classes.

    `root` is the `basic/` folder, or the folder that holds it (as RAF-DB unpacks).
    """
    if images not in IMAGE_VARIANTS:
        raise ParameterError(f"RAF-DB images must be one of {IMAGE_VARIANTS}, got {images!r}")
    root = find_basic(Path(root))
    label_file = root / LABEL_FILE
    rows: list[dict] = []
    sources: list[str] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(label_file.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split()
        if len(fields) != 2:
            raise BenchmarkFormatError(
                f"{where(label_file, number)}: expected '<image name> <label 1..7>', got {line!r}"
            )
        name, raw_label = fields
        split = next((s for p, s in SPLIT_PREFIXES.items() if name.startswith(p)), None)
        if split is None:
            raise BenchmarkFormatError(
                f"{where(label_file, number)}: image name {name!r} starts with neither "
                f"'train_' nor 'test_', so its split is unknown"
            )
        if not raw_label.isdigit() or int(raw_label) not in RAFDB_TO_CANONICAL:
            raise BenchmarkFormatError(
                f"{where(label_file, number)}: label {raw_label!r} of {name} is not in 1..7"
            )
        if name in seen:
            raise BenchmarkFormatError(
                f"{where(label_file, number)}: {name} is listed again (first on line {seen[name]})"
            )
        seen[name] = number
        rows.append(
            {
                "path": str(image_path(root, name, images)),
                "label": RAFDB_TO_CANONICAL[int(raw_label)],
                "split": split,
                "dataset": "rafdb",
            }
        )
        sources.append(where(label_file, number))
    if not rows:
        raise BenchmarkFormatError(f"{label_file} lists no image")
    index = pd.DataFrame(rows).astype({"label": "int64"})
    require_images(index["path"], sources)
    warn_empty_classes(index, 7, f"RAF-DB {root}")
    log_summary(index, f"RAF-DB {root}")
    return index
