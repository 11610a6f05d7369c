"""The demo world: a labeled benchmark and reaction mashup videos, generated offline."""

from rmfer.pipelines.synth.pipeline import create_pipeline

__all__ = ["create_pipeline"]
