"""What the project's single-file datasets share: a local path, `exists`, and atomic saves."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from kedro.io.core import AbstractDataset, DatasetError, get_protocol_and_path

from rmfer.files import write_atomically

_DI = TypeVar("_DI")
_DO = TypeVar("_DO")


class FileDataset(AbstractDataset[_DI, _DO]):
    """One local file; subclasses implement Kedro's `load` and `save` with these helpers.

    Saves go through `rmfer.files.write_atomically`, so a crash leaves the previous file (or
    none), never half of one, and a resumed run can trust what it finds.
    """

    def __init__(self, filepath: str) -> None:
        protocol, path = get_protocol_and_path(filepath)
        if protocol != "file":
            raise DatasetError(
                f"{type(self).__name__} writes local files only (an atomic rename); "
                f"got {filepath!r}"
            )
        self._filepath = Path(path)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Give a subclass without its own `__init__` this one, not Kedro's wrapper of it.

        Kedro records a dataset's arguments (for `catalog.to_config`) by the signature of the
        class's `__init__`; the inherited wrapper's `(*args, **kwargs)` would be recorded as is.
        """
        if "__init__" not in vars(cls):
            cls.__init__ = vars(FileDataset)["__init__"].__wrapped__  # type: ignore[method-assign]
        super().__init_subclass__(**kwargs)

    def _read_bytes(self) -> bytes:
        return self._filepath.read_bytes()

    def _write_bytes(self, data: bytes) -> None:
        self._filepath.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(self._filepath, data)

    def _exists(self) -> bool:
        return self._filepath.exists()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath)}
