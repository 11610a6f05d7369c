"""Aligned crops in one uncompressed .npy shard per video, readable by memory map.

`face_tracks` rows point into the shards with `shard` (the file name, relative to the rm_faces
folder) and `offset` (the row in it): `FaceShards(folder).crop(shard, offset)` is one page read,
so ACL can draw random faces without loading a video's crops. Crops stream into a temporary
file while the video is decoded; `finish` moves the kept ones together, writes the .npy header
and renames the file into place, so a shard is complete or absent. There is no fsync: the rename
makes an interrupted run leave no shard, and a shard lost with the machine fails the resume
check (its length against the video's record) and is made again.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from rmfer.faults import checkpoint
from rmfer.files import disk_space_for, partial_path

NPY_MAGIC = b"\x93NUMPY\x01\x00"
HEADER_BYTES = 128  # magic, length and dict, padded: a multiple of 64 as the format wants


def npy_header(shape: tuple[int, ...], dtype: str = "|u1") -> bytes:
    """A version 1.0 .npy header for a C-ordered array, HEADER_BYTES long."""
    text = f"{{'descr': '{dtype}', 'fortran_order': False, 'shape': {shape!r}, }}"
    room = HEADER_BYTES - len(NPY_MAGIC) - 2
    if len(text) + 1 > room:
        raise ValueError(f"shape {shape} does not fit a {HEADER_BYTES}-byte header")
    body = text.ljust(room - 1).encode("latin1") + b"\n"
    return NPY_MAGIC + len(body).to_bytes(2, "little") + body


class ShardWriter:
    """Appends crops of one shape behind a placeholder header; `finish` completes the shard.

    The crops go straight to their place in the final file (`.<name>.partial`), so finishing a
    video whose crops are all kept costs a header write and a rename, not a copy of the shard.
    """

    def __init__(self, path: str | Path, crop_shape: tuple[int, ...]) -> None:
        self.path = Path(path)
        self.crop_shape = tuple(crop_shape)
        self.crop_bytes = int(np.prod(self.crop_shape))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._partial = partial_path(self.path)
        # Buffered: one face is 37 KB, and a write call per face costs more than the copy.
        self._file = open(self._partial, "w+b", buffering=1 << 22)  # noqa: SIM115 - closed by finish or abort
        self._file.write(bytes(HEADER_BYTES))
        self.count = 0

    def append(self, crop: np.ndarray) -> int:
        """Write one crop; its provisional index."""
        if crop.shape != self.crop_shape or crop.dtype != np.uint8:
            raise ValueError(f"crop of {crop.shape} {crop.dtype}, expected {self.crop_shape} uint8")
        with disk_space_for(self.path):
            self._file.write(np.ascontiguousarray(crop).data)
        checkpoint("shard_append")  # tests/faults/: killed with a shard half written
        self.count += 1
        return self.count - 1

    def finish(self, keep: Sequence[int] | np.ndarray) -> int:
        """Make the shard hold the crops `keep` (increasing provisional indices), in that order.

        Each kept crop moves down over dropped ones, in place: with increasing indices no crop
        is overwritten before it has moved. The file is renamed into place only when complete.
        """
        keep = np.asarray(keep, dtype=np.int64)
        if len(keep) and (keep[0] < 0 or keep[-1] >= self.count or np.any(np.diff(keep) <= 0)):
            self.abort()
            raise ValueError(f"keep must be increasing crop indices below {self.count}")
        try:
            with disk_space_for(self.path):
                self._file.flush()
            handle, size = self._file.fileno(), self.crop_bytes
            for row, index in enumerate(keep.tolist()):
                if index != row:
                    crop = os.pread(handle, size, HEADER_BYTES + index * size)
                    os.pwrite(handle, crop, HEADER_BYTES + row * size)
            os.ftruncate(handle, HEADER_BYTES + len(keep) * size)
            os.pwrite(handle, npy_header((len(keep), *self.crop_shape)), 0)
            self._file.close()
            os.replace(self._partial, self.path)
        finally:
            self.abort()
        return len(keep)

    def abort(self) -> None:
        self._file.close()
        self._partial.unlink(missing_ok=True)


def read_header(path: str | Path) -> tuple[int, ...]:
    """The shape stored in a shard, without mapping it."""
    with open(path, "rb") as handle:
        head = handle.read(HEADER_BYTES)
    if not head.startswith(NPY_MAGIC[:6]):
        raise ValueError(f"{path}: not an .npy file")
    length = int.from_bytes(head[8:10], "little")
    return tuple(ast.literal_eval(head[10 : 10 + length].decode("latin1"))["shape"])


class FaceShards:
    """Random access to the aligned crops of face_tracks rows: `crop(shard, offset)`."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self._open: dict[str, np.ndarray] = {}

    def __getstate__(self) -> dict[str, object]:
        """A copy for another process (a DataLoader worker) maps the shards itself."""
        return {**self.__dict__, "_open": {}}

    def shard(self, name: str) -> np.ndarray:
        """The whole shard as a read-only memory map (N, size, size, 3) uint8 RGB."""
        array = self._open.get(name)
        if array is None:
            array = np.load(self.folder / name, mmap_mode="r")
            self._open[name] = array
        return array

    def crop(self, shard: str, offset: int) -> np.ndarray:
        return np.asarray(self.shard(shard)[int(offset)])

    def crops(self, shard: str, offsets: Sequence[int] | np.ndarray) -> np.ndarray:
        """Several crops of one shard, in the order given."""
        return np.asarray(self.shard(shard)[np.asarray(offsets, dtype=np.int64)])
