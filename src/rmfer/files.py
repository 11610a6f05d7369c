"""Files that are complete or absent: written under a temporary name, then renamed into place.

A run killed halfway leaves the previous version (or nothing) at the path, never half a file,
so a re-run can trust whatever it finds there.
"""

from __future__ import annotations

import errno
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rmfer.errors import StageError
from rmfer.faults import checkpoint


def partial_path(path: Path) -> Path:
    """The hidden temporary beside `path` that a write goes to first."""
    return path.with_name(f".{path.name}.partial")


def replace_atomically(
    path: str | Path, write: Callable[[Path], Any], fault_point: str = "replace_atomically"
) -> Path:
    """Call `write(temporary)` and rename the result to `path`; on failure nothing is left.

    `fault_point` is the `rmfer.faults` label of the moment between write and rename, so that
    tests/faults/ can kill there (the catalog's datasets and the image check have labels of
    their own, so the numbered kill points of the other writes stay where they are).
    """
    path = Path(path)
    partial = partial_path(path)
    try:
        with disk_space_for(path):
            write(partial)
        checkpoint(fault_point)  # tests/faults/: killed between write and rename
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return path


class DiskFullError(StageError):
    """The disk filled up under a stage: nothing to retry until space is freed."""


def raise_if_disk_full(error: BaseException, path: str | Path) -> None:
    """Raise DiskFullError if `error` (or any error under it) is ENOSPC met writing `path`."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno == errno.ENOSPC:
            raise DiskFullError(
                f"no space left on the device while writing {path}: free space there (or point "
                "the output elsewhere) and run the stage again; finished work is kept and "
                "picked up where it stopped"
            ) from error
        exc_info = getattr(current, "exc_info", None)  # yt-dlp's DownloadError keeps its cause here
        below = exc_info[1] if isinstance(exc_info, tuple) and len(exc_info) > 1 else None
        current = below or current.__cause__ or current.__context__


@contextmanager
def disk_space_for(path: str | Path) -> Iterator[None]:
    """A full disk met inside the block stops the stage with what to do (DiskFullError)."""
    try:
        yield
    except OSError as error:
        raise_if_disk_full(error, path)
        raise


def write_atomically(
    path: str | Path, data: bytes | str, fault_point: str = "replace_atomically"
) -> Path:
    """`data` (text as UTF-8) at `path`, all of it or none (`fault_point`: replace_atomically's)."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return replace_atomically(path, lambda partial: partial.write_bytes(raw), fault_point)


def warn_orphans(
    folder: Path, pattern: str, listed: set[str], what: str, consequence: str
) -> list[str]:
    """Log the files in `folder` whose stem `listed` no longer names; they are never deleted.

    A stage that keeps per-item files (collect's videos, facetrack's shards) tells the user about
    items its input stopped listing, rather than silently deleting work that may be wanted.
    `what` says what the input is ("rm_sources"), `consequence` what happens to the files.
    """
    orphans = sorted(p.name for p in Path(folder).glob(pattern) if p.stem not in listed)
    if orphans:
        logging.getLogger(__name__).warning(
            "%s holds %d file(s) that %s no longer lists (%s%s); they are left in place, %s: "
            "delete them if unwanted",
            folder,
            len(orphans),
            what,
            ", ".join(orphans[:5]),
            " ..." if len(orphans) > 5 else "",
            consequence,
        )
    return orphans
