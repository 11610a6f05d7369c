"""Attention-based contrastive learning on reaction mashup faces (docs/method.md, stage 2)."""

from rmfer.pipelines.acl.pipeline import create_pipeline

__all__ = ["create_pipeline"]
