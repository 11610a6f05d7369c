"""ONNX export: the same logits as the torch net, for any batch size."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from rmfer.deploy.onnx_export import OnnxNet, export_onnx
from rmfer.labels import CANONICAL_LABELS
from rmfer.models.checkpoint import make_checkpoint
from rmfer.models.network import NetworkConfig, build_network


def test_exported_logits_match_torch(tmp_path: Path) -> None:
    torch.manual_seed(0)
    net = build_network(NetworkConfig("resnet10t", 7, 48, CANONICAL_LABELS[:7])).eval()
    checkpoint = make_checkpoint(net)
    path = export_onnx(checkpoint, tmp_path / "model.onnx")
    onnx_net = OnnxNet(path, providers=["CPUExecutionProvider"])
    assert onnx_net.label_names == CANONICAL_LABELS[:7] and onnx_net.image_size == 48
    for batch in (1, 5):  # the batch axis is dynamic
        images = torch.randn(batch, 3, 48, 48)
        with torch.no_grad():
            expected = net(images).logits.numpy()
        got = onnx_net.logits(images.numpy())
        assert got.shape == (batch, 7)
        np.testing.assert_allclose(got, expected, atol=1e-4, rtol=0)
    assert not list(tmp_path.glob(".*partial"))
