"""A model checkpoint as a Kedro dataset: written atomically, read without unpickling code."""

from __future__ import annotations

import io
from pathlib import PurePosixPath
from typing import Any

import fsspec
import torch
from kedro.io.core import AbstractDataset, DatasetError, get_filepath_str, get_protocol_and_path


class TorchCheckpointDataset(AbstractDataset[dict, dict]):
    """A dict of plain values and tensors; `load` uses `torch.load(weights_only=True)`."""

    def __init__(self, filepath: str, fs_args: dict[str, Any] | None = None) -> None:
        protocol, path = get_protocol_and_path(filepath)
        self._protocol = protocol
        self._filepath = PurePosixPath(path)
        self._fs = fsspec.filesystem(protocol, **(fs_args or {}))

    def _load(self) -> dict:
        path = get_filepath_str(self._filepath, self._protocol)
        with self._fs.open(path, "rb") as handle:
            data = io.BytesIO(handle.read())
        try:
            return torch.load(data, map_location="cpu", weights_only=True)
        except Exception as error:
            raise DatasetError(
                f"{path} is not a checkpoint that loads with weights_only=True: {error}"
            ) from error

    def _save(self, data: dict) -> None:
        if not isinstance(data, dict):
            raise DatasetError(f"a checkpoint must be a dict, got {type(data).__name__}")
        buffer = io.BytesIO()
        torch.save(data, buffer)
        path = get_filepath_str(self._filepath, self._protocol)
        self._fs.makedirs(str(PurePosixPath(path).parent), exist_ok=True)
        partial = f"{path}.partial"
        with self._fs.open(partial, "wb") as handle:
            handle.write(buffer.getvalue())
        self._fs.mv(partial, path)

    def _exists(self) -> bool:
        return self._fs.exists(get_filepath_str(self._filepath, self._protocol))

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath), "protocol": self._protocol}
