"""The RM face crops of `face_tracks`, read by face id from facetrack's per-video shards.

Face ids are row positions in the *checked* table: rows whose shard is missing, unreadable or
shorter than their offset are dropped first, each problem named once with what to do, so ACL
trains on what is usable and fails clearly only when nothing is.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch.utils.data import Dataset

from rmfer.errors import InputError
from rmfer.faces.shards import HEADER_BYTES, FaceShards, read_header

logger = logging.getLogger(__name__)

REQUIRED_COLUMNS = ("video_id", "person_id", "time_s", "shard", "offset")


class RMFacesError(InputError):
    """No usable face crop: every shard is missing or broken, or the table is unusable."""


@dataclass
class ShardProblems:
    """Shards left out and why (file name -> reason), and how many face rows went with them."""

    reasons: dict[str, str] = field(default_factory=dict)
    rows_dropped: int = 0

    def as_dict(self) -> dict[str, object]:
        return {"shards_dropped": dict(self.reasons), "rows_dropped": self.rows_dropped}


class RMFaces(Dataset):
    """Crops (uint8, H x W x 3) of the usable rows of `face_tracks`, by face id.

    A torch Dataset too (`faces[i]` is a (3, H, W) uint8 tensor), though ACL reads whole
    batches with `read`, which groups ids by shard and reads each shard's rows in file order.
    """

    def __init__(self, tracks: pd.DataFrame, folder: str | Path) -> None:
        missing = [c for c in REQUIRED_COLUMNS if c not in tracks.columns]
        if missing:
            raise RMFacesError(f"face tracks lack columns {missing}; facetrack writes them")
        self.folder = Path(folder)
        self.problems = ShardProblems()
        self.tracks = self._usable(tracks.reset_index(drop=True))
        self._shards = FaceShards(self.folder)
        names, codes = np.unique(self.tracks["shard"].astype(str).to_numpy(), return_inverse=True)
        self._shard_names = [str(n) for n in names]
        self._shard_code = codes.astype(np.int64)
        self._offset = self.tracks["offset"].to_numpy(np.int64)
        self.crop_shape: tuple[int, ...] = read_header(self.folder / self._shard_names[0])[1:]

    def _usable(self, tracks: pd.DataFrame) -> pd.DataFrame:
        if tracks.empty:
            raise RMFacesError("face tracks are empty: facetrack kept no face in any video")
        groups = tracks.groupby(tracks["shard"].astype(str), sort=True).indices
        offsets = tracks["offset"].to_numpy(np.int64)
        checked = {
            name: self._check_shard(name, int(offsets[rows].max())) for name, rows in groups.items()
        }
        shapes = [found for found in checked.values() if isinstance(found, tuple)]
        common = max(set(shapes), key=shapes.count) if shapes else None
        keep = np.ones(len(tracks), dtype=bool)
        for name, found in checked.items():
            if found == common:
                continue
            reason = (
                found
                if isinstance(found, str)
                else f"crops of {found}, the other shards' are {common}"
            )
            keep[groups[name]] = False
            self.problems.reasons[name] = reason
            logger.warning(
                "ACL: leaving out the %d faces of shard %s: %s. Re-run facetrack on its video "
                "(delete the shard to force it) to use them.",
                len(groups[name]),
                self.folder / name,
                reason,
            )
        self.problems.rows_dropped = int((~keep).sum())
        if not keep.any():
            raise RMFacesError(
                f"no readable face crop in {self.folder}: {self.problems.reasons}. "
                "Run `kedro run --pipeline=facetrack` (rm_faces is its output)."
            )
        return tracks[keep].reset_index(drop=True)

    def _check_shard(self, name: str, max_offset: int) -> str | tuple[int, ...]:
        """The shard's crop shape when it serves these rows, else why not."""
        path = self.folder / name
        if not path.is_file():
            return "the shard file is missing"
        try:
            shape = read_header(path)
        except (OSError, ValueError, SyntaxError) as error:
            return f"the shard cannot be read ({error})"
        if len(shape) != 4 or shape[3] != 3:
            return f"the shard holds {shape}, not (N, H, W, 3) crops"
        if max_offset >= shape[0]:
            return f"rows point to offset {max_offset} but the shard holds {shape[0]} crops"
        if path.stat().st_size < HEADER_BYTES + int(np.prod(shape)):  # cut short: its last crops
            return "the shard file is truncated"
        return tuple(shape[1:])

    def __len__(self) -> int:
        return len(self._offset)

    def __getitem__(self, face: int) -> torch.Tensor:
        return torch.from_numpy(self.read([face])[0]).permute(2, 0, 1)

    def read(self, faces: Sequence[int] | np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Crops of `faces` (ids), in that order: (len, H, W, 3) uint8, into `out` if given."""
        faces = np.asarray(faces, dtype=np.int64)
        if out is None:
            out = np.empty((len(faces), *self.crop_shape), np.uint8)
        codes = self._shard_code[faces]
        for code in np.unique(codes):
            where = np.flatnonzero(codes == code)
            offsets = self._offset[faces[where]]
            order = np.argsort(offsets, kind="stable")  # file order: sequential page reads
            out[where[order]] = self._shards.crops(self._shard_names[code], offsets[order])
        return out

    def read_tensor(self, faces: Sequence[int] | np.ndarray, shared: bool = False) -> torch.Tensor:
        """`read` as a (len, 3, H, W) uint8 tensor, the shape torchvision transforms take.

        Channels-last in memory: a view of the crops as read, not a copy (the transpose cost
        more than the read), and torch's resize is at least as fast on it. `shared`: read into
        shared memory, so a DataLoader worker hands the crops over without copying them again.
        """
        if not shared:
            return torch.from_numpy(self.read(faces)).permute(0, 3, 1, 2)
        out = torch.empty((len(faces), *self.crop_shape), dtype=torch.uint8).share_memory_()
        self.read(faces, out.numpy())
        return out.permute(0, 3, 1, 2)
