"""RMFER: facial expression recognition learned from reaction mashup videos."""

__version__ = "0.1.0"
