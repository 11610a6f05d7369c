"""What the user named: image and video files, and folders of them, each one input.

A path that is missing or of a kind we cannot read becomes an input that fails with its reason,
so one bad name never stops the others. Folders are walked recursively, in sorted order; their
files of other kinds are skipped silently (a folder of photos often holds a .txt or two).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"})
VIDEO_SUFFIXES = frozenset(
    {".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".mpg", ".mpeg", ".ts", ".wmv", ".flv"}
)
IMAGE, VIDEO, UNKNOWN = "image", "video", "unknown"


@dataclass(frozen=True)
class Input:
    path: Path
    kind: str  # image, video, or unknown (decided by trying to read it)
    error: str = ""  # set when the path cannot be an input at all


def kind_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return IMAGE
    if suffix in VIDEO_SUFFIXES:
        return VIDEO
    return UNKNOWN


def find_inputs(paths: Iterable[str | Path]) -> list[Input]:
    """Each named file, and each image or video under each named folder, once, in order."""
    found: list[Input] = []
    seen: set[Path] = set()

    def add(item: Input) -> None:
        key = item.path.resolve()
        if key not in seen:
            seen.add(key)
            found.append(item)

    for name in paths:
        path = Path(name)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and kind_of(p) != UNKNOWN)
            files = [
                p for p in files if not any(s.startswith(".") for s in p.relative_to(path).parts)
            ]
            if not files:
                add(Input(path, UNKNOWN, f"{path}: the folder holds no image or video"))
            for file in files:
                add(Input(file, kind_of(file)))
        elif path.is_file():
            add(Input(path, kind_of(path)))
        elif path.exists():
            add(Input(path, UNKNOWN, f"{path}: not a file or a folder"))
        else:
            add(Input(path, UNKNOWN, f"{path}: no such file or folder"))
    return found
