"""Every reactor's face, detected, tracked with one id per person, and aligned."""

from rmfer.pipelines.facetrack.pipeline import create_pipeline, create_quality_pipeline

__all__ = ["create_pipeline", "create_quality_pipeline"]
