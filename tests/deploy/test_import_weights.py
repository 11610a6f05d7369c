"""import-weights: a pickled timm model (as HSEmotion ships) becomes a canonical state dict."""

from __future__ import annotations

from pathlib import Path

import pytest
import timm
import torch

from rmfer.deploy.import_weights import import_weights
from rmfer.labels import CANONICAL_LABELS
from rmfer.models.network import NetworkConfig, build_network
from rmfer.models.pretrained import UntrustedPickleError, init_heads_from_classifier

BACKBONE = "resnet10t"  # timm's `fc` head; EfficientNets call it `classifier`


@pytest.fixture(scope="module")
def pickled_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, torch.nn.Module]:
    torch.manual_seed(0)
    model = timm.create_model(BACKBONE, num_classes=8).eval()
    path = tmp_path_factory.mktemp("weights") / "enet_like.pt"
    torch.save(model, path)  # the whole module pickled, as HSEmotion's files are
    return path, model


def test_pickled_model_needs_trust(pickled_model, tmp_path: Path) -> None:
    path, _ = pickled_model
    with pytest.raises(UntrustedPickleError, match="--trust"):
        import_weights(path, tmp_path / "out.pt")
    assert not (tmp_path / "out.pt").exists()


def test_import_reorders_alphabetical_head_to_canonical(pickled_model, tmp_path: Path) -> None:
    path, model = pickled_model
    result = import_weights(path, tmp_path / "out.pt", trust_pickle=True, head_labels="hsemotion")
    state = torch.load(result.path, weights_only=True)  # plain tensors: no code runs
    assert result.head == "fc" and result.head_labels == CANONICAL_LABELS
    alphabetical = sorted(CANONICAL_LABELS)
    for name in CANONICAL_LABELS:
        row = alphabetical.index(name)
        assert torch.equal(state["fc.weight"][CANONICAL_LABELS.index(name)], model.fc.weight[row])
    for key, value in model.state_dict().items():
        if not key.startswith("fc."):
            assert torch.equal(state[key], value), key


def test_state_dict_imports_unchanged_and_loads_into_the_net(pickled_model, tmp_path: Path):
    _, model = pickled_model
    source = tmp_path / "state.pt"
    torch.save({"state_dict": model.state_dict()}, source)
    result = import_weights(source, tmp_path / "out.pt")
    config = NetworkConfig(BACKBONE, 7, 48, CANONICAL_LABELS[:7])
    net = build_network(config, pretrained_weights=result.path)
    backbone_state = net.backbone.state_dict()
    assert torch.equal(backbone_state["conv1.0.weight"], model.state_dict()["conv1.0.weight"])
    state = torch.load(result.path, weights_only=True)
    assert init_heads_from_classifier(net, state) == "fc"
    for layer in (net.classifier, net.attention_classifier):
        assert torch.equal(layer.weight, model.fc.weight[:7])
        assert torch.equal(layer.bias, model.fc.bias[:7])


def test_wrong_head_label_count_is_named(pickled_model, tmp_path: Path) -> None:
    path, _ = pickled_model
    with pytest.raises(ValueError, match="names 3 labels, but the classifier has 8 rows"):
        import_weights(path, tmp_path / "o.pt", trust_pickle=True, head_labels="Anger,Fear,Sad")


def test_build_network_inits_both_heads_and_refuses_a_non_expression_head(
    pickled_model, tmp_path: Path
) -> None:
    path, model = pickled_model
    imported = import_weights(path, tmp_path / "w.pt", trust_pickle=True, head_labels="hsemotion")
    config = NetworkConfig(BACKBONE, 7, 48, CANONICAL_LABELS[:7])
    net = build_network(config, imported.path, init_heads=True)
    happiness = sorted(CANONICAL_LABELS).index("Happiness")
    assert torch.equal(net.classifier.weight[1], model.fc.weight[happiness])  # canonical id 1
    assert torch.equal(net.attention_classifier.bias[1], model.fc.bias[happiness])
    imagenet = timm.create_model(BACKBONE, num_classes=1000)
    torch.save(imagenet.state_dict(), tmp_path / "imagenet.pt")
    with pytest.raises(ValueError, match="expression head of 7 or 8 rows"):
        build_network(config, tmp_path / "imagenet.pt", init_heads=True)
    with pytest.raises(ValueError, match="pretrained_weights is null"):
        build_network(config, None, init_heads=True)
