"""A labeled benchmark in its provider's layout, read into `benchmark_index` (read-only)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from kedro.io.core import AbstractDataset, DatasetError

from rmfer.data.readers import FORMATS, read_benchmark
from rmfer.files import write_atomically


class BenchmarkDataset(AbstractDataset[dict[str, bytes | str], pd.DataFrame]):
    """`format` (rafdb, affectnet, ferplus, image_folder) at `path`; `options` go to the reader
    (num_classes, soft_labels, rafdb_images, label_order). `path` is the folder the provider's
    archive unpacks to or the one above it; with nothing there, the reader's message names `path`
    and every file it looked for (docs/data-formats.md).

    Users download benchmarks, so a benchmark is read-only, except where `writable` is set: the
    demo's synth pipeline saves its generated benchmark through this very dataset, which is what
    makes Kedro (and DVC) run synth before ial reads it.
    """

    def __init__(
        self,
        format: str,
        path: str,
        options: dict[str, Any] | None = None,
        writable: bool = False,
    ) -> None:
        if format not in FORMATS:
            raise DatasetError(f"unknown benchmark format {format!r}; allowed: {list(FORMATS)}")
        self._format = format
        self._path = Path(path)
        self._options = {k: v for k, v in (options or {}).items() if v is not None}
        self._writable = writable

    def load(self) -> pd.DataFrame:
        return read_benchmark(self._format, self._path, **self._options)

    def save(self, data: dict[str, bytes | str]) -> None:
        """Write the files (relative path -> content) and remove any other file below `path`,
        so that a smaller world leaves no stale images behind."""
        if not self._writable:
            raise DatasetError(
                f"the {self._format} benchmark at {self._path} is read-only (a downloaded "
                "benchmark is never written; only the demo's generated one sets writable: true)"
            )
        keep = set()
        for relative, content in data.items():
            target = self._path / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(target, content)
            keep.add(target)
        for stale in [p for p in self._path.rglob("*") if p.is_file() and p not in keep]:
            stale.unlink()

    def _exists(self) -> bool:
        return self._path.exists()

    def _describe(self) -> dict[str, Any]:
        return {
            "format": self._format,
            "path": str(self._path),
            "options": self._options,
            "writable": self._writable,
        }
