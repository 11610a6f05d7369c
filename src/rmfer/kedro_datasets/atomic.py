"""kedro-datasets' file datasets with one change: a save is complete or absent, never half done.

kedro-datasets writes a file in place, so a run killed while pandas writes leaves a truncated
CSV or Parquet file that the next run reads as complete, with fewer rows. Each class here is
kedro-datasets' own (its format, load and save arguments, bytes) whose save goes to a temporary
beside the file, renamed into place by `rmfer.files.replace_atomically`. Local files only: the
rename is what makes it atomic. The catalog names them `rmfer.kedro_datasets.atomic.<Class>`.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

from kedro.io.core import AbstractDataset, DatasetError, get_filepath_str
from kedro_datasets.json import JSONDataset as _JSONDataset
from kedro_datasets.matplotlib import MatplotlibDataset as _MatplotlibDataset
from kedro_datasets.pandas import CSVDataset as _CSVDataset
from kedro_datasets.pandas import ParquetDataset as _ParquetDataset
from kedro_datasets.text import TextDataset as _TextDataset

from rmfer.files import replace_atomically

FAULT_POINT = "dataset_save"  # rmfer.faults label: written, not yet renamed (tests/faults/)


class _Atomic:
    """What the atomic classes share: kedro-datasets' `__init__` and a local-files-only rule."""

    _protocol: str

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Give the subclass kedro-datasets' own `__init__`, not Kedro's wrapper of it: Kedro
        records a dataset's arguments (`catalog.to_config`) by the signature of `__init__`."""
        if issubclass(cls, AbstractDataset) and "__init__" not in vars(cls):
            wrapped = super().__init__  # the kedro-datasets class's, wrapped
            cls.__init__ = getattr(wrapped, "__wrapped__", wrapped)  # type: ignore[method-assign]
        super().__init_subclass__(**kwargs)

    def _require_local(self) -> None:
        if self._protocol != "file":
            raise DatasetError(
                f"{type(self).__name__} writes local files only (an atomic rename); got "
                f"protocol {self._protocol!r}: use kedro-datasets' class for remote storage"
            )


class _AtomicFile(_Atomic):
    """Runs the kedro-datasets class's own save with its save path pointed at the temporary."""

    _writing_to: PurePosixPath | None = None

    def _get_save_path(self) -> PurePosixPath:
        return self._writing_to or super()._get_save_path()  # type: ignore[misc]

    def save(self, data: Any) -> None:
        self._require_local()
        target = Path(get_filepath_str(self._get_save_path(), self._protocol))
        replace_atomically(target, lambda partial: self._save_to(partial, data), FAULT_POINT)

    def _save_to(self, partial: Path, data: Any) -> None:
        self._writing_to = PurePosixPath(partial)
        try:
            super().save.__wrapped__(self, data)  # type: ignore[misc]  # unwrapped: logged once
        finally:
            self._writing_to = None


class CSVDataset(_AtomicFile, _CSVDataset):
    """kedro_datasets.pandas.CSVDataset, saved atomically."""


class ParquetDataset(_AtomicFile, _ParquetDataset):
    """kedro_datasets.pandas.ParquetDataset, saved atomically."""


class JSONDataset(_AtomicFile, _JSONDataset):
    """kedro_datasets.json.JSONDataset, saved atomically."""


class TextDataset(_AtomicFile, _TextDataset):
    """kedro_datasets.text.TextDataset, saved atomically."""


class MatplotlibDataset(_Atomic, _MatplotlibDataset):
    """kedro_datasets.matplotlib.MatplotlibDataset, each figure file saved atomically.

    A list or dict of figures is a folder of files: each file is complete or absent, and with
    `overwrite` the folder is emptied first, as kedro-datasets does.
    """

    def _save_to_fs(self, full_key_path: str, plot: Any) -> None:
        self._require_local()
        replace_atomically(
            Path(full_key_path),
            lambda partial: super(MatplotlibDataset, self)._save_to_fs(str(partial), plot),
            FAULT_POINT,
        )
