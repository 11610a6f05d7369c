"""Moving weights in and out of the project: third-party starting weights, ONNX export."""
