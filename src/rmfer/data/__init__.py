"""Labeled benchmarks: readers that map each provider's layout to one index, and a torch Dataset."""

from rmfer.data.index import INDEX_COLUMNS, BenchmarkFormatError
from rmfer.data.readers import FORMATS, read_benchmark

__all__ = ["FORMATS", "INDEX_COLUMNS", "BenchmarkFormatError", "read_benchmark"]
