"""L_IAL against an independent hand computation: masked diagonal, softmax over others, f_att."""

from __future__ import annotations

import math

import pytest
import torch

from rmfer.models.attention import attended_features, attention_weights
from rmfer.models.network import NetOutput, NetworkConfig, build_network
from rmfer.training.ial.loss import IalLoss, ial_loss


def _cos(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


def _cross_entropy(logits: list[float], label: int) -> float:
    top = max(logits)
    return -(logits[label] - top - math.log(sum(math.exp(v - top) for v in logits)))


def _hand_loss(f, z, logits, labels, w_att, b_att, tau, lambda_att):
    """Loops over plain floats, following docs/method.md step by step."""
    count = len(f)
    main = sum(_cross_entropy(logits[i], labels[i]) for i in range(count)) / count
    attended = 0.0
    for i in range(count):
        others = [j for j in range(count) if j != i]  # the diagonal is masked
        scores = {j: _cos(z[i], z[j]) / tau for j in others}
        total = sum(math.exp(s) for s in scores.values())
        weights = {j: math.exp(s) / total for j, s in scores.items()}
        f_att = [sum(weights[j] * f[j][d] for j in others) for d in range(len(f[i]))]
        att_logits = [
            sum(w_att[c][d] * f_att[d] for d in range(len(f_att))) + b_att[c]
            for c in range(len(b_att))
        ]
        attended += _cross_entropy(att_logits, labels[i])
    attended /= count
    return main + lambda_att * attended, main, attended


@pytest.mark.parametrize(("tau", "lambda_att"), [(1.0, 1.0), (0.3, 0.5), (2.0, 0.0)])
def test_loss_matches_the_hand_computation(tau: float, lambda_att: float):
    torch.manual_seed(3)
    net = build_network(NetworkConfig("test_efficientnet", 7, 32, tuple("abcdefg")))
    dim = net.config.feature_dim
    count = 5
    features, embeddings = torch.randn(count, dim), torch.randn(count, dim)
    logits, labels = torch.randn(count, 7), torch.tensor([0, 3, 3, 6, 1])
    terms = ial_loss(net, NetOutput(features, embeddings, logits), labels, lambda_att, tau)
    expected = _hand_loss(
        features.tolist(),
        embeddings.tolist(),
        logits.tolist(),
        labels.tolist(),
        net.attention_classifier.weight.tolist(),
        net.attention_classifier.bias.tolist(),
        tau,
        lambda_att,
    )
    assert terms["loss"].item() == pytest.approx(expected[0], rel=1e-5)
    assert terms["ce_main"].item() == pytest.approx(expected[1], rel=1e-5)
    assert terms["ce_attention"].item() == pytest.approx(expected[2], rel=1e-5)


def test_attention_never_looks_at_itself_and_prefers_the_nearest_other():
    z = torch.tensor([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [-1.0, 0.0]])
    weights = attention_weights(z, tau=0.1)
    assert torch.all(weights.diagonal() == 0)
    torch.testing.assert_close(weights.sum(1), torch.ones(4))
    assert weights[0].argmax().item() == 1 and weights[1].argmax().item() == 0
    mixed, _ = attended_features(torch.eye(4), z, tau=0.1)
    torch.testing.assert_close(mixed, weights)  # f = identity: f_att rows are the weights


def test_a_batch_of_one_has_nothing_to_attend_to():
    with pytest.raises(ValueError, match="at least two samples"):
        attention_weights(torch.randn(1, 4), tau=1.0)


def test_gradients_reach_backbone_projection_and_both_classifiers():
    torch.manual_seed(0)
    net = build_network(NetworkConfig("test_efficientnet", 7, 32, tuple("abcdefg")))
    images, labels = torch.randn(6, 3, 32, 32), torch.tensor([0, 0, 1, 1, 2, 2])
    ial_loss(net, net(images), labels, lambda_att=1.0, tau=1.0)["loss"].backward()
    for module in (net.backbone, net.projection, net.classifier, net.attention_classifier):
        assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in module.parameters())


def test_the_module_is_the_function_on_a_batch():
    torch.manual_seed(0)
    net = build_network(NetworkConfig("test_efficientnet", 7, 32, tuple("abcdefg"))).eval()
    batch = {"image": torch.randn(6, 3, 32, 32), "label": torch.tensor([0, 0, 1, 1, 2, 2])}
    terms = IalLoss(lambda_att=0.5, tau=0.2)(net, batch)
    expected = ial_loss(net, net(batch["image"]), batch["label"], 0.5, 0.2)
    assert terms.keys() == expected.keys()
    assert all(torch.equal(terms[key], expected[key]) for key in terms)
