"""Raw bytes to and from one file: videos and JPEGs whose encoding we control ourselves."""

from __future__ import annotations

from rmfer.kedro_datasets.file import FileDataset


class BinaryDataset(FileDataset[bytes, bytes]):
    """Saves bytes as-is (atomically: see `FileDataset`)."""

    def load(self) -> bytes:
        return self._read_bytes()

    def save(self, data: bytes) -> None:
        self._write_bytes(data)
