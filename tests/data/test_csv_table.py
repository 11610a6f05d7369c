"""The one CSV reader of the benchmark readers: the header, blank lines, field counts."""

from __future__ import annotations

from pathlib import Path

import pytest

from rmfer.data import BenchmarkFormatError
from rmfer.data.csv_table import csv_rows

HEADER = ("name", "x", "y")


def test_rows_come_with_their_line_numbers_and_blank_lines_are_skipped(tmp_path: Path):
    path = tmp_path / "t.csv"
    path.write_text("name, x ,y\na,1,2\n\nb,3,4\n")
    assert list(csv_rows(path, HEADER)) == [(2, ["a", "1", "2"]), (4, ["b", "3", "4"])]


def test_an_optional_header_may_be_left_out_but_not_misspelt(tmp_path: Path):
    path = tmp_path / "t.csv"
    path.write_text("a,1,2\nb,3,4\n")
    with pytest.raises(BenchmarkFormatError, match=r"t\.csv, line 1: header must be name,x,y;"):
        list(csv_rows(path, HEADER))
    assert [line for line, _ in csv_rows(path, HEADER, header_optional=True)] == [1, 2]
    path.write_text("name,x,z\na,1,2\n")
    with pytest.raises(BenchmarkFormatError, match=r"line 1: header must be .*\(or no header"):
        list(csv_rows(path, HEADER, header_optional=True))
    path.write_text("")
    with pytest.raises(BenchmarkFormatError, match="got None"):
        list(csv_rows(path, HEADER, header_optional=True))


def test_a_row_with_another_field_count_is_named(tmp_path: Path):
    path = tmp_path / "t.csv"
    path.write_text("name,x,y\na,1,2\nb,3\n")
    with pytest.raises(BenchmarkFormatError, match=r"line 3: expected 3 comma-separated fields"):
        list(csv_rows(path, HEADER))
