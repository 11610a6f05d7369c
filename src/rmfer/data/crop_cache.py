"""Benchmark faces decoded, cropped and resized once, so that epochs read ready crops.

Without it every epoch decodes each benchmark photo and cuts its face box again (AffectNet's
photos are large: decoding, not the network, bounds an epoch). The cache is one facetrack shard
(`rmfer.faces.shards`: an uncompressed .npy of (N, S, S, 3) uint8 RGB, read by memory map) per
(index, image size), named by a hash of both: the rows' `path`, face box and CSV row, each
file's size and modification time, and the size S. An index, an image or a size that changed
gives another name, so a stale cache is never read; it is left in place and named in the log.

A cached face is the face the index row gives, resized to S x S as the evaluation transform
does (`face_resize`), so evaluation images are the same tensors as without the cache. The
training augmentation's random resized crop then starts from the S x S face rather than the
full-resolution one (docs/stages/ial.md).
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch.utils.data import DataLoader

from rmfer.data.index import BOX_COLUMNS, CSV_ROW_COLUMN, shown
from rmfer.data.transforms import face_resize
from rmfer.errors import MissingInputError
from rmfer.faces.shards import HEADER_BYTES, ShardWriter, read_header

logger = logging.getLogger(__name__)

CACHE_FORMAT = 1  # part of the hash: a change in how faces are cut makes every cache stale
PREFIX = "crops_"


def row_keys(index: pd.DataFrame) -> list[str]:
    """What picks a row's face: its file, CSV row and face box (labels and splits do not)."""
    columns = [c for c in (CSV_ROW_COLUMN, *BOX_COLUMNS) if c in index.columns]
    parts = [index["path"].astype(str).tolist()]
    for column in columns:
        values = index[column]
        parts.append(["" if pd.isna(v) else str(int(v)) for v in values])
    return ["|".join(fields) for fields in zip(*parts, strict=True)]


def fingerprint(keys: Sequence[str], paths: Sequence[str], image_size: int) -> str:
    """The hash that names a cache: rows, their files' sizes and times, and the image size."""
    digest = hashlib.sha256(f"rmfer crop cache {CACHE_FORMAT} size {image_size}\n".encode())
    stats: dict[str, str] = {}
    for key, path in zip(keys, paths, strict=True):
        if path not in stats:
            try:
                status = os.stat(path)
            except FileNotFoundError:
                raise MissingInputError(f"image {path} does not exist") from None
            stats[path] = f"{status.st_size}:{status.st_mtime_ns}"
        digest.update(f"{key}\t{stats[path]}\n".encode())
    return digest.hexdigest()[:24]


class CropCache:
    """Ready faces of an index at one size: `crop(position)`, positions from `positions(rows)`.

    Workers of a DataLoader get a copy without the memory map and open their own.
    """

    def __init__(self, path: Path, keys: Sequence[str], image_size: int) -> None:
        self.path, self.image_size = path, image_size
        self._position = {key: k for k, key in enumerate(keys)}
        self._array: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self._position)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_array": None}

    def positions(self, rows: pd.DataFrame) -> np.ndarray:
        """Where each of `rows` (rows of the cached index, any selection) lies in the cache."""
        return np.array([self._position[key] for key in row_keys(rows)], dtype=np.int64)

    def crop(self, position: int) -> np.ndarray:
        """(S, S, 3) uint8 RGB, a copy (the map is read-only)."""
        if self._array is None:
            self._array = np.load(self.path, mmap_mode="r")
        return np.array(self._array[int(position)])


def open_crop_cache(
    index: pd.DataFrame, image_size: int, folder: str | Path | None, workers: int
) -> CropCache | None:
    """The cache of `index` at `image_size` in `folder`, built first when absent; None: off.

    Building decodes every distinct face once, in `workers` DataLoader processes.
    """
    if folder is None:
        return None
    folder = Path(folder)
    every = row_keys(index)
    first = index[~pd.Series(every).duplicated().to_numpy()]  # each face once, in index order
    keys = list(dict.fromkeys(every))
    name = f"{PREFIX}{image_size}px_{fingerprint(keys, first['path'].tolist(), image_size)}.npy"
    path = folder / name
    if _complete(path, (len(keys), image_size, image_size, 3)):
        logger.info("Benchmark faces: %d ready crops from %s", len(keys), shown(path))
    else:
        _build(first, image_size, path, workers)
    stale = sorted(p.name for p in folder.glob(f"{PREFIX}*.npy") if p.name != name)
    if stale:
        logger.info(
            "Crop cache %s also holds %d cache(s) of another index or size (%s); unused, "
            "delete them to free space",
            shown(folder),
            len(stale),
            ", ".join(stale[:3]) + (" ..." if len(stale) > 3 else ""),
        )
    return CropCache(path, keys, image_size)


def _complete(path: Path, shape: tuple[int, ...]) -> bool:
    """A cache file of the right shape and length (a shard is renamed into place when whole)."""
    if not path.is_file():
        return False
    try:
        found = read_header(path)
    except (OSError, ValueError, SyntaxError):
        return False
    return found == shape and path.stat().st_size == HEADER_BYTES + int(np.prod(shape))


def _build(rows: pd.DataFrame, image_size: int, path: Path, workers: int) -> None:
    """Decode, crop and resize each row's face once, into the shard at `path` (atomically)."""
    from rmfer.data.dataset import BenchmarkImages  # the dataset reads caches too

    started = time.perf_counter()
    faces = BenchmarkImages(rows, face_resize(image_size), num_classes=0)
    # A generator of its own: a global seed drawn here would make a run that builds the
    # cache differ from one that reads it.
    loader = DataLoader(faces, batch_size=64, num_workers=workers, generator=torch.Generator())
    # A name of this process's own: ranks of one run that build the same cache at once each
    # finish a whole file, and the last rename wins with the same bytes.
    own = path.with_name(f".{path.stem}.{os.getpid()}.npy")
    writer = ShardWriter(own, (image_size, image_size, 3))
    try:
        for batch in loader:
            for crop in batch["image"].permute(0, 2, 3, 1).numpy():
                writer.append(crop)
    except BaseException:
        writer.abort()
        raise
    writer.finish(np.arange(writer.count))
    os.replace(own, path)
    logger.info(
        "Benchmark faces: cropped and resized %d faces to %d px once in %.0f s, into %s",
        len(rows),
        image_size,
        time.perf_counter() - started,
        shown(path),
    )
