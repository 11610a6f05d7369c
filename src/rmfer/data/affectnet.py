"""AffectNet, manually annotated part (formats.md): CSV lists with a face box per image."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from rmfer.data.index import (
    BOX_COLUMNS,
    BenchmarkFormatError,
    log_summary,
    require_file,
    require_images,
    warn_empty_classes,
    where,
)

LISTS_DIR = "Manually_Annotated_file_lists"
IMAGES_DIR = "Manually_Annotated_Images"
# The validation list (500 per class) is the usual test set: AffectNet's test set is not public.
LIST_SPLITS = {"training.csv": "train", "validation.csv": "test"}
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
NON_EMOTIONS = {8: "None", 9: "Uncertain", 10: "Non-Face"}
LAYOUT = f"{LISTS_DIR}/{{training,validation}}.csv and {IMAGES_DIR}/<subDirectory>/<file>"


def _integer(value: str, column: str, source: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise BenchmarkFormatError(f"{source}: {column} = {value!r} is not an integer") from None


def _read_list(
    csv_path: Path, split: str, root: Path, num_classes: int, dropped: dict[str, int]
) -> tuple[list[dict], list[str]]:
    rows: list[dict] = []
    sources: list[str] = []
    with csv_path.open(newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None or tuple(h.strip() for h in header) != HEADER:
            raise BenchmarkFormatError(
                f"{where(csv_path, 1)}: header must be {','.join(HEADER)}; got {header}"
            )
        for fields in reader:
            source = where(csv_path, reader.line_num)
            if not fields:
                continue
            if len(fields) != len(HEADER):
                raise BenchmarkFormatError(
                    f"{source}: expected {len(HEADER)} comma-separated fields, got {len(fields)}"
                )
            record = dict(zip(HEADER, fields, strict=True))
            expression = _integer(record["expression"], "expression", source)
            if not 0 <= expression <= 10:
                raise BenchmarkFormatError(f"{source}: expression {expression} is not in 0..10")
            if expression in NON_EMOTIONS or expression >= num_classes:
                reason = (
                    f"{NON_EMOTIONS[expression]} ({expression})"
                    if expression in NON_EMOTIONS
                    else "Contempt (7) in the 7-class setting"
                )
                dropped[reason] = dropped.get(reason, 0) + 1
                continue
            box = {column: _integer(record[column], column, source) for column in BOX_COLUMNS}
            if box["face_width"] <= 0 or box["face_height"] <= 0:
                raise BenchmarkFormatError(f"{source}: face box {box} has no area")
            relative = record["subDirectory_filePath"].strip()
            if not relative:
                raise BenchmarkFormatError(f"{source}: subDirectory_filePath is empty")
            rows.append(
                {
                    "path": str(root / IMAGES_DIR / relative),
                    "label": expression,
                    "split": split,
                    "dataset": f"affectnet{num_classes}",
                    **box,
                }
            )
            sources.append(source)
    return rows, sources


def read_affectnet(root: Path | str, num_classes: int = 7) -> pd.DataFrame:
    """Index AffectNet at `root` with canonical labels (already AffectNet's order).

    None, Uncertain and Non-Face (8, 9, 10) are dropped, and Contempt (7) in the 7-class
    setting; the drops are counted in the summary log line.
    """
    if num_classes not in (7, 8):
        raise ValueError(f"AffectNet num_classes must be 7 or 8, got {num_classes!r}")
    root = Path(root)
    rows: list[dict] = []
    sources: list[str] = []
    dropped: dict[str, int] = {}
    for file_name, split in LIST_SPLITS.items():
        csv_path = require_file(root / LISTS_DIR / file_name, "AffectNet list", LAYOUT)
        split_rows, split_sources = _read_list(csv_path, split, root, num_classes, dropped)
        rows += split_rows
        sources += split_sources
    if not rows:
        raise BenchmarkFormatError(f"AffectNet lists under {root / LISTS_DIR} hold no usable image")
    index = pd.DataFrame(rows).astype({"label": "int64", **dict.fromkeys(BOX_COLUMNS, "int64")})
    require_images(index["path"], sources)
    source = f"AffectNet-{num_classes} {root}"
    warn_empty_classes(index, num_classes, source)
    log_summary(index, source, dropped)
    return index
