"""The trained network as ONNX: backbone plus main classifier, any batch size.

Deployment outside Python/torch needs only the prediction path: B then W_main. The projection
head and the attention classifier serve training alone, so they are left out. Inputs are
normalised images (N, 3, S, S) float32, as the checkpoint's config describes; the model's
metadata carries the label names, the image size and the normalisation, so a consumer needs
nothing but the .onnx file.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

from rmfer.errors import InputError
from rmfer.files import replace_atomically
from rmfer.models.checkpoint import load_network
from rmfer.models.network import AttentionNet

OPSET = 17
INPUT, OUTPUT = "image", "logits"


class _Logits(nn.Module):
    """B then W_main: what inference uses."""

    def __init__(self, net: AttentionNet) -> None:
        super().__init__()
        self.backbone, self.classifier = net.backbone, net.classifier

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.backbone(images))


def _export(net: AttentionNet, example: torch.Tensor, path: Path) -> None:
    with warnings.catch_warnings():  # the TorchScript exporter warns of its own retirement
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            _Logits(net).eval(),
            (example,),
            str(path),
            input_names=[INPUT],
            output_names=[OUTPUT],
            dynamic_axes={INPUT: {0: "batch"}, OUTPUT: {0: "batch"}},
            opset_version=OPSET,
            dynamo=False,
        )


def export_onnx(checkpoint: Path | str | dict, out: Path | str) -> Path:
    """Write the checkpoint's backbone + main classifier to `out` with a dynamic batch axis."""
    import onnx

    net = load_network(checkpoint, "cpu")
    size = net.config.image_size
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)

    def write(path: Path) -> None:
        _export(net, torch.zeros(2, 3, size, size), path)
        model = onnx.load(str(path))
        config = net.config.to_dict()
        for key in ("label_names", "image_size", "mean", "std", "backbone"):
            entry = model.metadata_props.add()
            entry.key, entry.value = f"rmfer.{key}", json.dumps(config[key])
        onnx.save(model, str(path))

    return replace_atomically(out, write)


class OnnxNet:
    """An exported model run by onnxruntime; `logits` matches the torch net's main head."""

    def __init__(self, path: Path | str, providers: list[str] | None = None) -> None:
        import onnxruntime as ort

        self.path = Path(path)
        available = ort.get_available_providers()
        chosen = [p for p in (providers or available) if p in available]
        self.session = ort.InferenceSession(str(self.path), providers=chosen)
        meta = self.session.get_modelmeta().custom_metadata_map
        try:
            self.label_names = tuple(json.loads(meta["rmfer.label_names"]))
            self.image_size = int(json.loads(meta["rmfer.image_size"]))
            self.mean = tuple(json.loads(meta["rmfer.mean"]))
            self.std = tuple(json.loads(meta["rmfer.std"]))
        except KeyError as error:
            raise InputError(
                f"{self.path} is not an rmfer ONNX export (no {error.args[0]} metadata); "
                "export one with `rmfer export MODEL --onnx OUT.onnx`"
            ) from None

    def logits(self, images: np.ndarray) -> np.ndarray:
        """(N, 3, S, S) float32 normalised images -> (N, C) logits."""
        batch = np.ascontiguousarray(images, dtype=np.float32)
        return self.session.run([OUTPUT], {INPUT: batch})[0]
