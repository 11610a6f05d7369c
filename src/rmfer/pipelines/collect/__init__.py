"""Reaction mashup videos downloaded with yt-dlp and indexed."""

from rmfer.pipelines.collect.pipeline import create_pipeline

__all__ = ["create_pipeline"]
