"""The network's outputs, its checkpoint (weights_only) and local pretrained weights."""

from __future__ import annotations

from pathlib import Path

import pytest
import timm
import torch

from rmfer.kedro_datasets.torch_checkpoint import TorchCheckpointDataset
from rmfer.models import NetworkConfig, build_network, load_network, make_checkpoint

CONFIG = NetworkConfig("test_efficientnet", 7, 32, ("N", "H", "Sa", "Su", "F", "D", "A"), tau=0.5)


def test_forward_gives_features_projections_and_logits():
    torch.manual_seed(0)
    net = build_network(CONFIG).eval()
    output = net(torch.randn(4, 3, 32, 32))
    dim = net.config.feature_dim
    assert output.features.shape == (4, dim) and output.embeddings.shape == (4, dim)
    assert output.logits.shape == (4, 7)
    attention = net.attend(output)
    assert attention.weights.shape == (4, 4) and attention.logits.shape == (4, 7)
    layers = list(net.projection)
    assert [type(m).__name__ for m in layers] == ["Linear", "ReLU", "Linear"]
    assert layers[0].in_features == layers[0].out_features == layers[2].out_features == dim


def test_checkpoint_round_trip_through_the_kedro_dataset(tmp_path: Path):
    torch.manual_seed(0)
    net = build_network(CONFIG).eval()
    dataset = TorchCheckpointDataset(str(tmp_path / "models/ial.pt"))
    dataset.save(make_checkpoint(net, {"best_epoch": 3, "params": {"lr": 0.1, "x": None}}))
    assert not (tmp_path / "models/ial.pt.partial").exists()
    raw = torch.load(tmp_path / "models/ial.pt", weights_only=True)
    assert raw["config"]["backbone"] == "test_efficientnet"
    assert raw["config"]["label_names"] == ["N", "H", "Sa", "Su", "F", "D", "A"]
    assert raw["extra"]["best_epoch"] == 3
    loaded = load_network(dataset.load())
    assert loaded.config == net.config
    images = torch.randn(3, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(loaded(images).logits, net(images).logits)
    assert load_network(tmp_path / "models/ial.pt").config.tau == 0.5


def test_a_pickled_object_is_refused(tmp_path: Path):
    path = tmp_path / "evil.pt"
    torch.save({"config": object()}, path)
    with pytest.raises(Exception, match="weights_only"):
        TorchCheckpointDataset(str(path)).load()


def test_missing_pretrained_file_says_what_to_download_and_where(tmp_path: Path):
    target = tmp_path / "weights/tf_efficientnet_b2.safetensors"
    with pytest.raises(FileNotFoundError) as error:
        build_network(CONFIG, target)
    message = str(error.value)
    assert str(target) in message and "Download" in message and "'test_efficientnet'" in message


@pytest.mark.parametrize("suffix", [".pth", ".safetensors"])
def test_local_pretrained_weights_load_and_drop_the_head(tmp_path: Path, suffix: str):
    torch.manual_seed(1)
    donor = timm.create_model("test_efficientnet", num_classes=1000)  # with its ImageNet head
    path = tmp_path / f"weights{suffix}"
    if suffix == ".safetensors":
        from safetensors.torch import save_file

        save_file(donor.state_dict(), str(path))
    else:
        torch.save({"state_dict": {f"module.{k}": v for k, v in donor.state_dict().items()}}, path)
    net = build_network(CONFIG, path)
    torch.testing.assert_close(net.backbone.conv_stem.weight, donor.conv_stem.weight)


def test_weights_of_another_backbone_are_refused(tmp_path: Path):
    path = tmp_path / "resnet.pth"
    torch.save(timm.create_model("test_resnet").state_dict(), path)
    with pytest.raises(ValueError, match="do not fit backbone 'test_efficientnet'"):
        build_network(CONFIG, path)


def test_unknown_backbone_is_named():
    with pytest.raises(ValueError, match="unknown timm backbone 'resnet_9000'"):
        build_network(NetworkConfig("resnet_9000", 7, 32, tuple("abcdefg")))
