"""Inter-sample attention learning on a labeled benchmark (docs/method.md, stage 1)."""

from rmfer.pipelines.ial.pipeline import create_pipeline

__all__ = ["create_pipeline"]
