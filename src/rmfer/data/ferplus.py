"""FERPlus: FER2013's 48x48 pixels with FERPlus's ten annotator votes per image.

The layout and label order are in docs/data-formats.md.

The label is the plurality of the eight emotion votes. Ties between emotions go to the lower
canonical id; an image is dropped when `unknown` or `NF` has at least as many votes as the top
emotion (no confident expression), when it has no vote, or when FERPlus removed it (empty name).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from rmfer.data.csv_table import csv_rows
from rmfer.data.index import (
    CSV_ROW_COLUMN,
    FORMATS_DOC,
    BenchmarkFormatError,
    first_holding,
    layout_candidates,
    layout_not_found,
    listed,
    log_summary,
    shown,
    soft_columns,
    warn_empty_classes,
    where,
)
from rmfer.errors import MissingInputError, ParameterError

PIXELS_FILE = "fer2013.csv"
VOTES_FILE = "fer2013new.csv"
FILES = (PIXELS_FILE, VOTES_FILE)
PIXELS_HEADER = ("emotion", "pixels", "Usage")
VOTE_EMOTIONS = (
    "neutral",
    "happiness",
    "surprise",
    "sadness",
    "anger",
    "disgust",
    "fear",
    "contempt",
)
VOTE_TO_CANONICAL = (0, 1, 3, 2, 6, 5, 4, 7)
VOTES_HEADER = ("Usage", "Image name", *VOTE_EMOTIONS, "unknown", "NF")
USAGE_SPLITS = {"Training": "train", "PublicTest": "validation", "PrivateTest": "test"}
IMAGE_SIDE = 48
ARCHIVE_FOLDER = "fer2013"  # what FER2013's archive (fer2013.tar.gz) unpacks to
LAYOUT = (
    f"FER2013's {PIXELS_FILE} (emotion,pixels,Usage) and FERPlus's {VOTES_FILE}, each in path or "
    f"in path/{ARCHIVE_FOLDER}/ (as FER2013's archive unpacks)"
)
GENERATED_LAYOUT = (
    "the FER2013Train/, FER2013Valid/, FER2013Test/ folders that FERPlus's script generates are "
    f"not read: set path to the folder of the {PIXELS_FILE} and {VOTES_FILE} they were made from"
)
CLASS_FOLDERS_LAYOUT = (
    "a copy in <split>/<class name>/ image folders (FER2013's labels, no votes) is read as "
    "format image_folder"
)
ADVICE = (
    f"put FER2013's {PIXELS_FILE} (or the {ARCHIVE_FOLDER}/ folder its archive unpacks to) and "
    f"FERPlus's {VOTES_FILE} there"
)


def _find_files(root: Path) -> tuple[Path, Path]:
    """fer2013.csv and fer2013new.csv, each in `root` or in the fer2013/ folder in it."""
    folders = layout_candidates(root, (ARCHIVE_FOLDER,))
    found = [first_holding(folders, lambda f, n=name: (f / n).is_file()) for name in FILES]
    if all(folder is not None for folder in found):
        pixels_folder, votes_folder = found
        return pixels_folder / PIXELS_FILE, votes_folder / VOTES_FILE
    looked_for = [folder / name for name in FILES for folder in reversed(folders)]
    if not any(found):
        raise layout_not_found(
            "FERPlus", root, looked_for, [LAYOUT, GENERATED_LAYOUT, CLASS_FOLDERS_LAYOUT], ADVICE
        )
    missing = FILES[found.index(None)]
    raise MissingInputError(
        f"{missing} not found at {shown(root)} (looked for "
        f"{listed([folder / missing for folder in reversed(folders)])}); "
        f"{ADVICE} — see {FORMATS_DOC}"
    )


def _votes(fields: list[str], source: str) -> np.ndarray:
    try:
        votes = np.array([int(v) for v in fields[2:]], dtype=np.int64)
    except ValueError:
        raise BenchmarkFormatError(f"{source}: votes {fields[2:]} are not all integers") from None
    if (votes < 0).any():
        raise BenchmarkFormatError(f"{source}: votes {votes.tolist()} include a negative count")
    return votes


def majority_label(votes: np.ndarray, num_classes: int) -> tuple[int | None, str | None]:
    """(canonical label, None) or (None, drop reason) for one row of ten vote counts."""
    canonical = np.zeros(8, dtype=np.int64)
    canonical[list(VOTE_TO_CANONICAL)] = votes[:8]
    top = int(canonical.max())
    if top == 0 and votes[8:].sum() == 0:
        return None, "without votes"
    if votes[8] >= top:
        return None, "won by unknown"
    if votes[9] >= top:
        return None, "won by NF (not a face)"
    label = int(np.argmax(canonical))
    if label >= num_classes:
        return None, "Contempt (7-class setting)"
    return label, None


def soft_label(votes: np.ndarray, num_classes: int) -> np.ndarray:
    """The vote distribution over the kept emotions, canonical order."""
    canonical = np.zeros(8, dtype=np.float64)
    canonical[list(VOTE_TO_CANONICAL)] = votes[:8]
    kept = canonical[:num_classes]
    return kept / kept.sum()


def read_ferplus(root: Path | str, num_classes: int = 8, soft_labels: bool = False) -> pd.DataFrame:
    """Index FERPlus at `root`; `path` is fer2013.csv and `csv_row` its data row (0-based).

    Each file may sit in `root` or in the fer2013/ folder FER2013's archive unpacks to.
    """
    if num_classes not in (7, 8):
        raise ParameterError(f"FERPlus num_classes must be 7 or 8, got {num_classes!r}")
    root = Path(root)
    pixels_path, votes_path = _find_files(root)
    pixel_rows = list(csv_rows(pixels_path, PIXELS_HEADER))
    vote_rows = list(csv_rows(votes_path, VOTES_HEADER))
    if len(pixel_rows) != len(vote_rows):
        raise BenchmarkFormatError(
            f"{pixels_path} has {len(pixel_rows)} data rows but {votes_path} has {len(vote_rows)}; "
            "the two files must correspond row for row"
        )
    records: list[dict] = []
    dropped: dict[str, int] = {}
    for row, ((pixel_line, pixel_fields), (vote_line, vote_fields)) in enumerate(
        zip(pixel_rows, vote_rows, strict=True)
    ):
        pixel_source, vote_source = where(pixels_path, pixel_line), where(votes_path, vote_line)
        usage = vote_fields[0].strip()
        if usage not in USAGE_SPLITS:
            raise BenchmarkFormatError(
                f"{vote_source}: Usage {usage!r} is not one of {list(USAGE_SPLITS)}"
            )
        if pixel_fields[2].strip() != usage:
            raise BenchmarkFormatError(
                f"{pixel_source}: Usage {pixel_fields[2]!r} differs from {usage!r} "
                f"at {vote_source}; the files are out of step"
            )
        if len(pixel_fields[1].split()) != IMAGE_SIDE * IMAGE_SIDE:
            raise BenchmarkFormatError(
                f"{pixel_source}: pixels must be {IMAGE_SIDE * IMAGE_SIDE} space-separated values, "
                f"got {len(pixel_fields[1].split())}"
            )
        votes = _votes(vote_fields, vote_source)
        name = vote_fields[1].strip()
        label, reason = majority_label(votes, num_classes) if name else (None, "removed by FERPlus")
        if label is None:
            dropped[reason] = dropped.get(reason, 0) + 1
            continue
        record = {
            "path": str(pixels_path),
            "label": label,
            "split": USAGE_SPLITS[usage],
            "dataset": "ferplus",
            CSV_ROW_COLUMN: row,
            "image_name": name,
        }
        if soft_labels:
            record.update(
                zip(soft_columns(num_classes), soft_label(votes, num_classes), strict=True)
            )
        records.append(record)
    if not records:
        raise BenchmarkFormatError(f"{votes_path} holds no usable image")
    index = pd.DataFrame(records).astype({"label": "int64", CSV_ROW_COLUMN: "int64"})
    source = f"FERPlus {root}"
    warn_empty_classes(index, num_classes, source)
    log_summary(index, source, dropped)
    return index
