"""Predict expressions over time for any video, image or folder with a trained checkpoint
or its ONNX export."""

from rmfer.predict.inputs import Input, find_inputs
from rmfer.predict.model import BatchClassifier, Model, ModelError, OnnxModel, load_model
from rmfer.predict.run import DONE, FAILED, InputResult, PredictOptions, image_params, predict

__all__ = [
    "DONE",
    "FAILED",
    "BatchClassifier",
    "Input",
    "InputResult",
    "Model",
    "ModelError",
    "OnnxModel",
    "PredictOptions",
    "find_inputs",
    "image_params",
    "load_model",
    "predict",
]
