"""Raw bytes to and from one file: videos and JPEGs whose encoding we control ourselves."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

import fsspec
from kedro.io.core import AbstractDataset, get_filepath_str, get_protocol_and_path


class BinaryDataset(AbstractDataset[bytes, bytes]):
    """Saves bytes as-is, written to a temporary name first so a crash never leaves half a file."""

    def __init__(self, filepath: str, fs_args: dict[str, Any] | None = None) -> None:
        protocol, path = get_protocol_and_path(filepath)
        self._protocol = protocol
        self._filepath = PurePosixPath(path)
        self._fs = fsspec.filesystem(protocol, **(fs_args or {}))

    def _load(self) -> bytes:
        with self._fs.open(get_filepath_str(self._filepath, self._protocol), "rb") as handle:
            return handle.read()

    def _save(self, data: bytes) -> None:
        path = get_filepath_str(self._filepath, self._protocol)
        self._fs.makedirs(str(PurePosixPath(path).parent), exist_ok=True)
        partial = f"{path}.partial"
        with self._fs.open(partial, "wb") as handle:
            handle.write(data)
        self._fs.mv(partial, path)

    def _exists(self) -> bool:
        return self._fs.exists(get_filepath_str(self._filepath, self._protocol))

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath), "protocol": self._protocol}
