"""The CSV files of benchmark providers, read row by row after their header is checked."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from rmfer.data.index import BenchmarkFormatError, where


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _checked(path: Path, header: tuple[str, ...], line: int, fields: list[str]) -> list[str]:
    if len(fields) != len(header):
        raise BenchmarkFormatError(
            f"{where(path, line)}: expected {len(header)} comma-separated fields, got {len(fields)}"
        )
    return fields


def csv_rows(
    path: Path, header: tuple[str, ...], *, header_optional: bool = False
) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) of each non-blank data row; the header and field counts checked.

    With `header_optional` the file may also start with its first data row, as some copies of
    AffectNet's lists do; a first line without a single number is still taken for a header, so a
    misspelt one is reported as such. A generator: AffectNet's lists are never held whole.
    """
    with path.open(newline="") as handle:
        reader = csv.reader(handle)
        first = next(reader, None)
        if first is not None and tuple(h.strip() for h in first) == header:
            pass
        elif header_optional and first and any(map(_is_number, first)):
            yield 1, _checked(path, header, 1, first)
        else:
            alternative = " (or no header: the first line a data row)" if header_optional else ""
            raise BenchmarkFormatError(
                f"{where(path, 1)}: header must be {','.join(header)}{alternative}; got {first}"
            )
        for fields in reader:
            if fields:
                yield reader.line_num, _checked(path, header, reader.line_num, fields)
