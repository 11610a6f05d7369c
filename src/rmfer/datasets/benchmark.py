"""A labeled benchmark in its provider's layout, read into `benchmark_index` (read-only)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from kedro.io.core import AbstractDataset, DatasetError

from rmfer.data.readers import FORMATS, read_benchmark


class BenchmarkDataset(AbstractDataset[None, pd.DataFrame]):
    """`format` (rafdb, affectnet, ferplus, image_folder) at `path`; `options` go to the reader
    (num_classes, soft_labels, rafdb_images). Users download benchmarks; nothing saves them."""

    def __init__(self, format: str, path: str, options: dict[str, Any] | None = None) -> None:
        if format not in FORMATS:
            raise DatasetError(f"unknown benchmark format {format!r}; allowed: {list(FORMATS)}")
        self._format = format
        self._path = Path(path)
        self._options = {k: v for k, v in (options or {}).items() if v is not None}

    def _load(self) -> pd.DataFrame:
        return read_benchmark(self._format, self._path, **self._options)

    def _save(self, data: None) -> None:
        raise DatasetError(f"the {self._format} benchmark at {self._path} is read-only")

    def _exists(self) -> bool:
        return self._path.exists()

    def _describe(self) -> dict[str, Any]:
        return {"format": self._format, "path": str(self._path), "options": self._options}
