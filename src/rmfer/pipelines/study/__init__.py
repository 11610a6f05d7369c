"""The study pipeline: world, runs, report."""

from rmfer.pipelines.study.pipeline import create_pipeline

__all__ = ["create_pipeline"]
