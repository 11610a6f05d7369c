"""Kedro datasets the project needs beyond kedro-datasets.

The Kedro side of the library: `rmfer.data` reads benchmarks without Kedro, and
`BenchmarkDataset` here hands them to the catalog.
"""
