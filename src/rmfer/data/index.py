"""The benchmark index every reader produces, and the checks every reader shares.

One table shape for all providers lets training, ACL and evaluation ignore where the data
came from; the checks live here so each reader reports bad input the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import pandas as pd

from rmfer.errors import InputError, MissingInputError
from rmfer.labels import label_names

logger = logging.getLogger(__name__)

INDEX_COLUMNS: tuple[str, ...] = ("path", "label", "split", "dataset")
SPLITS: tuple[str, ...] = ("train", "validation", "test")
BOX_COLUMNS: tuple[str, ...] = ("face_x", "face_y", "face_width", "face_height")
CSV_ROW_COLUMN = "csv_row"  # FERPlus: the data row of fer2013.csv that holds the pixels
SOFT_PREFIX = "soft_"  # FERPlus soft labels: one column per canonical class, vote fractions
FORMATS_DOC = "docs/data-formats.md"


class BenchmarkFormatError(InputError):
    """A benchmark file breaks its provider's layout; the message names the file and line."""


def where(path: Path | str, line: int | None = None) -> str:
    """`file, line N` for error messages, so users can open the exact spot."""
    return f"{path}, line {line}" if line is not None else str(path)


def visible_entries(folder: Path) -> list[Path]:
    """What a user put in `folder` (hidden files such as .DS_Store or .gitkeep left out)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if not p.name.startswith("."))


def shown(path: Path | str) -> str:
    """`path` as the user wrote it: relative to the working directory when inside it (Kedro
    makes catalog paths absolute, but the README and conf name data/01_raw/...)."""
    path = Path(path)
    if path.is_absolute() and path.is_relative_to(Path.cwd()):
        return str(path.relative_to(Path.cwd()))
    return str(path)


def listed(items: Sequence[Path | str]) -> str:
    """`a, b and c`: the places a message says were looked at."""
    names = [shown(item) for item in items]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def layout_candidates(
    root: Path, archive_folders: Sequence[str] = (), only_subfolder: bool = False
) -> list[Path]:
    """The folders that may hold a benchmark configured at `root`, in the order they are tried.

    `root` itself, then the folders its provider's archives unpack to (`archive_folders`, such as
    RAF-DB's `basic`), then, with `only_subfolder`, `root`'s only subfolder: copies that unpack
    to a folder of their own name. So `path` may name the unpacked folder or the one above it.
    """
    candidates = [root] + [root / name for name in archive_folders if root.name != name]
    if only_subfolder:
        folders = [p for p in visible_entries(root) if p.is_dir()]
        if len(folders) == 1 and folders[0] not in candidates:
            candidates.append(folders[0])
    return candidates


def first_holding(candidates: Iterable[Path], holds: Callable[[Path], bool]) -> Path | None:
    """The first candidate folder that holds the layout (`holds`), or None."""
    return next((folder for folder in candidates if holds(folder)), None)


def layout_not_found(
    what: str, root: Path, looked_for: Sequence[Path | str], known: Sequence[str], advice: str
) -> MissingInputError:
    """The one error for a benchmark that is not where its `path` says.

    It names the configured path, every file looked for, and what to put there; when something
    else is there, also the layouts the reader knows. One wording for every reader, so the
    message, the README and the defaults name the same place.
    """
    looked = listed(looked_for)
    if not visible_entries(root):
        return MissingInputError(
            f"no {what} found at {shown(root)} (looked for {looked}); {advice} — see {FORMATS_DOC}"
        )
    layouts = (
        f"Known layout: {known[0]}"
        if len(known) == 1
        else "Known layouts: "
        + "; ".join(f"({number}) {layout}" for number, layout in enumerate(known, start=1))
    )
    return MissingInputError(
        f"{shown(root)} does not hold {what} in a layout this reader knows (looked for {looked}). "
        f"{layouts}. To fix: {advice} — see {FORMATS_DOC}"
    )


def require_file(path: Path, what: str, layout: str) -> Path:
    """Fail with what was expected and where, instead of a bare FileNotFoundError later."""
    if not path.is_file():
        raise MissingInputError(f"{what} not found: {path}. Expected layout: {layout}")
    return path


def require_images(paths: Iterable[str], sources: Iterable[str]) -> None:
    """Every indexed image exists and is not empty; `sources` say which record named it."""
    for image, source in zip(paths, sources, strict=True):
        file = Path(image)
        if not file.is_file():
            raise MissingInputError(f"image {file} named at {source} does not exist")
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
