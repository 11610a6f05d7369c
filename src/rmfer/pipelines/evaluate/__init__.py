"""Baseline, IAL, the mu = 0 control and ACL compared on the benchmark's test split, with the
report."""

from rmfer.pipelines.evaluate.pipeline import create_pipeline

__all__ = ["create_pipeline"]
