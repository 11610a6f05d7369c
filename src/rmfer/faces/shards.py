"""Aligned crops in one uncompressed .npy shard per video, readable by memory map.

`face_tracks` rows point into the shards with `shard` (the file name, relative to the rm_faces
folder) and `offset` (the row in it): `FaceShards(folder).crop(shard, offset)` is one page read,
so ACL can draw random faces without loading a video's crops. Crops stream to a temporary file
while the video is decoded; `finish` copies the kept ones, in order, behind an .npy header and
renames the result into place, so a shard is complete or absent.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

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
    """Appends crops of one shape to a temporary file; `finish` writes the shard atomically."""

    def __init__(self, path: str | Path, crop_shape: tuple[int, ...]) -> None:
        self.path = Path(path)
        self.crop_shape = tuple(crop_shape)
        self.crop_bytes = int(np.prod(self.crop_shape))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._raw_path = self.path.with_name(f".{self.path.name}.crops.partial")
        # Buffered: one face is 37 KB, and a write call per face costs more than the copy.
        self._raw = open(self._raw_path, "wb", buffering=1 << 22)  # noqa: SIM115 - closed by finish or abort
        self.count = 0

    def append(self, crop: np.ndarray) -> int:
        """Write one crop; its provisional index."""
        if crop.shape != self.crop_shape or crop.dtype != np.uint8:
            raise ValueError(f"crop of {crop.shape} {crop.dtype}, expected {self.crop_shape} uint8")
        self._raw.write(np.ascontiguousarray(crop).data)
        self.count += 1
        return self.count - 1

    def finish(self, keep: Sequence[int] | np.ndarray, chunk: int = 256) -> int:
        """Write the shard holding the crops `keep` (provisional indices), in that order."""
        keep = np.asarray(keep, dtype=np.int64)
        self._raw.close()
        partial = self.path.with_name(f".{self.path.name}.partial")
        try:
            # Plain reads, not a memory map: mapped pages would count as this process's memory.
            with open(self._raw_path, "rb") as source, open(partial, "wb") as out:
                out.write(npy_header((len(keep), *self.crop_shape)))
                for start in range(0, len(keep), chunk):
                    block = bytearray()
                    for index in keep[start : start + chunk].tolist():
                        if not 0 <= index < self.count:
                            raise IndexError(f"crop {index} of {self.count}")
                        block += os.pread(source.fileno(), self.crop_bytes, index * self.crop_bytes)
                    out.write(block)
                out.flush()
                os.fsync(out.fileno())
            os.replace(partial, self.path)
        finally:
            partial.unlink(missing_ok=True)
            self._raw_path.unlink(missing_ok=True)
        return len(keep)

    def abort(self) -> None:
        self._raw.close()
        self._raw_path.unlink(missing_ok=True)


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
