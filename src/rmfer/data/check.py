"""Every image of a benchmark index decoded once, before training starts.

A file that cannot be decoded would otherwise stop a training run when its batch comes up,
possibly hours in. The pass is remembered by the index's fingerprint (its rows and each file's
size and modification time), so an unchanged benchmark is checked once, not on every run. The
markers live in the project (`benchmark_check.cache_dir`, under the environment's data folder),
like the rest of a run's state: deleting the data folder forgets them too.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from rmfer.data.images import PixelTable, load_record
from rmfer.data.index import BenchmarkFormatError
from rmfer.errors import MissingInputError
from rmfer.files import write_atomically
from rmfer.params import Checker, parse

logger = logging.getLogger(__name__)

SHOWN = 20  # broken images named in the error; the rest are counted


SECTION = "benchmark_check"


@dataclass(frozen=True)
class CheckParams:
    """The `benchmark_check` block (conf/base/parameters_ial.yml)."""

    cache_dir: str  # where an index whose images all decoded is remembered

    @classmethod
    def from_dict(cls, params: dict[str, Any]) -> CheckParams:
        result = parse(cls, params, SECTION)
        Checker(result, SECTION).text("cache_dir")
        return result


def index_fingerprint(index: pd.DataFrame) -> str:
    """A hash of the index's rows and of the size and mtime of each file they name."""
    digest = hashlib.sha256(pd.util.hash_pandas_object(index, index=False).values.tobytes())
    for path in sorted(set(index["path"].astype(str))):
        try:
            stat = os.stat(path)
            digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
        except OSError:
            digest.update(f"{path}\0missing\n".encode())
    return digest.hexdigest()[:32]


def check_images(index: pd.DataFrame, cache_dir: str | Path) -> int:
    """Decode every row's image; raise BenchmarkFormatError naming the broken ones.

    Returns how many images were decoded (0 when this index passed before, as remembered by a
    marker file in `cache_dir`).
    """
    marker = Path(cache_dir) / f"{index_fingerprint(index)}.ok"
    if marker.is_file():
        return 0
    pixels = PixelTable()
    broken = []
    for record in index.to_dict("records"):
        try:
            load_record(record, pixels)
        except (BenchmarkFormatError, MissingInputError) as error:
            broken.append(str(error))
    if broken:
        more = f"\n  ... and {len(broken) - SHOWN} more" if len(broken) > SHOWN else ""
        raise BenchmarkFormatError(
            f"{len(broken)} of {len(index)} benchmark images cannot be used; replace or remove "
            "them (and their label lines), then run again:\n  " + "\n  ".join(broken[:SHOWN]) + more
        )
    marker.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(marker, f"{len(index)} images decoded\n", "image_check")
    logger.info("Benchmark images: all %d decode (checked once per index)", len(index))
    return len(index)
