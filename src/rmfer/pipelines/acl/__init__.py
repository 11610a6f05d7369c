"""Attention-based contrastive learning on reaction mashup faces (docs/method.md, stage 2), and
its control: the same training with mu = 0."""

from rmfer.pipelines.acl.pipeline import create_pipeline

__all__ = ["create_pipeline"]
