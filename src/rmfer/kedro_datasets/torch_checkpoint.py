"""A model checkpoint as a Kedro dataset: written atomically, read without unpickling code."""

from __future__ import annotations

import io

import torch
from kedro.io.core import DatasetError

from rmfer.kedro_datasets.file import FileDataset


class TorchCheckpointDataset(FileDataset[dict, dict]):
    """A dict of plain values and tensors; `load` uses `torch.load(weights_only=True)`."""

    def load(self) -> dict:
        data = io.BytesIO(self._read_bytes())
        try:
            return torch.load(data, map_location="cpu", weights_only=True)
        except Exception as error:
            raise DatasetError(
                f"{self._filepath} is not a checkpoint that loads with weights_only=True: {error}"
            ) from error

    def save(self, data: dict) -> None:
        if not isinstance(data, dict):
            raise DatasetError(f"a checkpoint must be a dict, got {type(data).__name__}")
        buffer = io.BytesIO()
        torch.save(data, buffer)
        self._write_bytes(buffer.getvalue())
