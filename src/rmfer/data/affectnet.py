"""AffectNet, manually annotated part, in either of the layouts its copies are shared in.

- The lists: `Manually_Annotated_file_lists/{training,validation}.csv` (with or without their
  header row), a face box per image in `Manually_Annotated_Images/` (beside the lists, or inside
  the folder its archive unpacks to: `Manually_Annotated_compressed/` or `Manually_Annotated/`).
- The newer release: `train_set/` and `val_set/`, each with `images/<n>.jpg` (faces already
  cropped) and `annotations/<n>_exp.npy` (with `<n>_val.npy` and `<n>_aro.npy` beside it).

Both give the same index, with `valence` and `arousal` columns. `path` is the folder that holds
either layout, or the folder above it (holding that folder only). The layouts and the label order
are in docs/data-formats.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from rmfer.data.csv_table import csv_rows
from rmfer.data.index import (
    BOX_COLUMNS,
    FORMATS_DOC,
    BenchmarkFormatError,
    first_holding,
    layout_candidates,
    layout_not_found,
    listed,
    log_summary,
    require_file,
    require_images,
    shown,
    warn_empty_classes,
    where,
)
from rmfer.errors import MissingInputError, ParameterError

LISTS_DIR = "Manually_Annotated_file_lists"
IMAGES_DIR = "Manually_Annotated_Images"
# The validation part (500 per class) is the usual test set: AffectNet's test set is not public.
LIST_SPLITS = {"training.csv": "train", "validation.csv": "test"}
NPY_SPLITS = {"train_set": "train", "val_set": "test"}
HEADER = (
    "subDirectory_filePath",
    "face_x",
    "face_y",
    "face_width",
    "face_height",
    "facial_landmarks",
    "expression",
    "valence",
    "arousal",
)
AFFECT_COLUMNS = ("valence", "arousal")
NON_EMOTIONS = {8: "None", 9: "Uncertain", 10: "Non-Face"}
# The images archive unpacks to Manually_Annotated_compressed/ (zip) or Manually_Annotated/ (rar
# parts), each holding Manually_Annotated_Images/; the folder may also have been moved up.
IMAGE_ARCHIVE_DIRS = ("Manually_Annotated_compressed", "Manually_Annotated")
LISTS_LAYOUT = (
    f"{LISTS_DIR}/{{training,validation}}.csv beside {IMAGES_DIR}/<subDirectory>/<file> "
    f"(or beside {' or '.join(f'{name}/' for name in IMAGE_ARCHIVE_DIRS)} holding it)"
)
NPY_LAYOUT = "train_set/ and val_set/, each with images/<n>.jpg and annotations/<n>_exp.npy"
CLASS_FOLDERS_LAYOUT = (
    "a copy in <split>/<class id 0..7>/ folders is read as format image_folder with label_order "
    "affectnet"
)


def _integer(value: str, column: str, source: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise BenchmarkFormatError(f"{source}: {column} = {value!r} is not an integer") from None


def _number(value: str, column: str, source: str) -> float:
    try:
        return float(value.strip())
    except ValueError:
        raise BenchmarkFormatError(f"{source}: {column} = {value!r} is not a number") from None


@dataclass
class _Collected:
    """The rows read so far, the record each came from, and what was dropped (counted)."""

    num_classes: int
    rows: list[dict] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    dropped: dict[str, int] = field(default_factory=dict)

    def label(self, expression: int, source: str) -> int | None:
        """The canonical label (AffectNet's own order), or None when the image is dropped."""
        if not 0 <= expression <= 10:
            raise BenchmarkFormatError(f"{source}: expression {expression} is not in 0..10")
        if expression in NON_EMOTIONS or expression >= self.num_classes:
            reason = (
                f"{NON_EMOTIONS[expression]} ({expression})"
                if expression in NON_EMOTIONS
                else "Contempt (7) in the 7-class setting"
            )
            self.dropped[reason] = self.dropped.get(reason, 0) + 1
            return None
        return expression

    def add(self, path: Path, label: int, split: str, extra: dict, source: str) -> None:
        dataset = f"affectnet{self.num_classes}"
        self.rows.append(
            {"path": str(path), "label": label, "split": split, "dataset": dataset, **extra}
        )
        self.sources.append(source)


def _read_list(csv_path: Path, split: str, images: Path, collected: _Collected) -> None:
    for line, fields in csv_rows(csv_path, HEADER, header_optional=True):
        source = where(csv_path, line)
        record = dict(zip(HEADER, fields, strict=True))
        label = collected.label(_integer(record["expression"], "expression", source), source)
        if label is None:
            continue
        box = {column: _integer(record[column], column, source) for column in BOX_COLUMNS}
        if box["face_width"] <= 0 or box["face_height"] <= 0:
            raise BenchmarkFormatError(f"{source}: face box {box} has no area")
        relative = record["subDirectory_filePath"].strip()
        if not relative:
            raise BenchmarkFormatError(f"{source}: subDirectory_filePath is empty")
        affect = {column: _number(record[column], column, source) for column in AFFECT_COLUMNS}
        collected.add(images / relative, label, split, {**box, **affect}, source)


def _npy_text(path: Path) -> str:
    """The one value an annotation file holds (the release stores numbers as text)."""
    try:
        values = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as error:
        raise BenchmarkFormatError(f"{path} cannot be read as a .npy file: {error}") from None
    if values.size != 1:
        raise BenchmarkFormatError(f"{path} holds {values.shape} values, not one")
    value = values.reshape(-1)[0]
    return (value.decode() if isinstance(value, bytes) else str(value)).strip()


def _annotation_number(path: Path, column: str) -> float:
    """Valence or arousal from its file, NaN where the copy left the file out."""
    return _number(_npy_text(path), column, str(path)) if path.is_file() else float("nan")


def _read_npy_split(folder: Path, split: str, collected: _Collected) -> None:
    annotations = folder / "annotations"
    if not annotations.is_dir() or not (folder / "images").is_dir():
        raise MissingInputError(
            f"AffectNet folder {folder} lacks images/ or annotations/. "
            f"Expected layout: {NPY_LAYOUT}"
        )
    expression_files = sorted(
        annotations.glob("*_exp.npy"),
        key=lambda p: (len(p.name), p.name),  # numeric order for the release's <n>
    )
    if not expression_files:
        raise BenchmarkFormatError(f"{annotations} holds no <n>_exp.npy annotation")
    for expression_file in expression_files:
        source = str(expression_file)
        number = expression_file.name.removesuffix("_exp.npy")
        expression = _integer(_npy_text(expression_file), "expression", source)
        label = collected.label(expression, source)
        if label is None:
            continue
        affect = {
            "valence": _annotation_number(annotations / f"{number}_val.npy", "valence"),
            "arousal": _annotation_number(annotations / f"{number}_aro.npy", "arousal"),
        }
        collected.add(folder / "images" / f"{number}.jpg", label, split, affect, source)


def _images_folder(root: Path) -> Path:
    """Manually_Annotated_Images/ beside the lists, or inside the folder its archive unpacks to."""
    candidates = [root / IMAGES_DIR] + [root / name / IMAGES_DIR for name in IMAGE_ARCHIVE_DIRS]
    found = first_holding(candidates, Path.is_dir)
    if found is None:
        raise MissingInputError(
            f"AffectNet's lists are at {shown(root / LISTS_DIR)} but not its images (looked for "
            f"{listed(candidates)}); unpack the images archive in {shown(root)} "
            f"— see {FORMATS_DOC}"
        )
    return found


def _holds_lists(folder: Path) -> bool:
    return (folder / LISTS_DIR).is_dir()


def _holds_npy(folder: Path) -> bool:
    return any((folder / name).is_dir() for name in NPY_SPLITS)


def _find_root(root: Path) -> Path:
    """The folder that holds either layout: `root`, or its only subfolder (a copy's own folder)."""
    candidates = layout_candidates(root, only_subfolder=True)
    found = first_holding(candidates, lambda f: _holds_lists(f) or _holds_npy(f))
    if found is not None:
        return found
    looked_for = [
        *(folder / LISTS_DIR for folder in candidates),
        *(folder / name for folder in candidates for name in NPY_SPLITS),
    ]
    advice = (
        f"set path to the folder that holds {root.name}/, which is part of a layout"
        if root.name in (LISTS_DIR, IMAGES_DIR, *IMAGE_ARCHIVE_DIRS, *NPY_SPLITS)
        else (
            f"put AffectNet's {LISTS_DIR}/ and {IMAGE_ARCHIVE_DIRS[0]}/ folders (as its "
            "archives unpack), or its train_set/ and val_set/, there"
        )
    )
    raise layout_not_found(
        "AffectNet", root, looked_for, [LISTS_LAYOUT, NPY_LAYOUT, CLASS_FOLDERS_LAYOUT], advice
    )


def _read_layout(root: Path, collected: _Collected) -> str:
    """Read whichever layout `root` holds; returns where its files are, for messages."""
    if _holds_lists(root):
        images = _images_folder(root)
        for file_name, split in LIST_SPLITS.items():
            csv_path = require_file(root / LISTS_DIR / file_name, "AffectNet list", LISTS_LAYOUT)
            _read_list(csv_path, split, images, collected)
        return f"AffectNet lists under {root / LISTS_DIR}"
    for name, split in NPY_SPLITS.items():
        _read_npy_split(root / name, split, collected)
    return f"AffectNet's {' and '.join(NPY_SPLITS)} under {root}"


def read_affectnet(root: Path | str, num_classes: int = 7) -> pd.DataFrame:
    """Index AffectNet at `root` with canonical labels (already AffectNet's order).

    None, Uncertain and Non-Face (8, 9, 10) are dropped, and Contempt (7) in the 7-class
    setting; the drops are counted in the summary log line.
    """
    if num_classes not in (7, 8):
        raise ParameterError(f"AffectNet num_classes must be 7 or 8, got {num_classes!r}")
    root = _find_root(Path(root))
    collected = _Collected(num_classes)
    where_read = _read_layout(root, collected)
    if not collected.rows:
        raise BenchmarkFormatError(f"{where_read} hold no usable image")
    index = pd.DataFrame(collected.rows)
    integers = [c for c in ("label", *BOX_COLUMNS) if c in index.columns]
    index = index.astype(
        {**dict.fromkeys(integers, "int64"), **dict.fromkeys(AFFECT_COLUMNS, float)}
    )
    require_images(index["path"], collected.sources)
    source = f"AffectNet-{num_classes} {root}"
    warn_empty_classes(index, num_classes, source)
    log_summary(index, source, collected.dropped)
    return index
