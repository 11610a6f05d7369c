"""Predict expressions over time for any video, image or folder with a trained checkpoint."""

from rmfer.predict.inputs import Input, find_inputs
from rmfer.predict.model import BatchClassifier, Model, ModelError, load_model
from rmfer.predict.run import DONE, FAILED, InputResult, PredictOptions, image_params, predict

__all__ = [
    "DONE",
    "FAILED",
    "BatchClassifier",
    "Input",
    "InputResult",
    "Model",
    "ModelError",
    "PredictOptions",
    "find_inputs",
    "image_params",
    "load_model",
    "predict",
]
