"""BatchNorm's running statistics: untouched by a forward pass, or re-estimated on data."""

from __future__ import annotations

import copy

import torch
from torch import nn
from torch.optim.swa_utils import update_bn

from rmfer.labels import label_names
from rmfer.models import build_network
from rmfer.models.batchnorm import batch_norms, reestimate_running_stats, running_stats_untouched
from rmfer.models.network import NetworkConfig


def buffers(net: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in net.state_dict().items() if "running" in k or "batches" in k}


def small_net() -> nn.Module:
    torch.manual_seed(0)
    return build_network(NetworkConfig("test_efficientnet", 7, 24, label_names(7)))


def test_a_forward_within_running_stats_untouched_moves_no_statistic():
    net = small_net().train()
    assert batch_norms(net)
    before = buffers(net)
    images = torch.randn(6, 3, 24, 24)
    with running_stats_untouched(net):
        out = net(images)
    for name, value in buffers(net).items():
        assert torch.equal(value, before[name]), name
    # ...yet it normalised by the batch's own statistics, as a train-mode pass does
    reference = copy.deepcopy(net).train()
    assert torch.allclose(out.embeddings, reference(images).embeddings, atol=1e-6)
    assert all(m.track_running_stats for m in batch_norms(net))  # restored
    net(images)  # and outside it, statistics move again
    assert any(not torch.equal(v, before[k]) for k, v in buffers(net).items())


def test_reestimate_equals_torchs_update_bn_and_changes_no_weight():
    net = small_net().train()
    net(torch.randn(6, 3, 24, 24) * 3 + 1)  # statistics from other data
    data = [torch.randn(5, 3, 24, 24, generator=torch.Generator().manual_seed(k)) for k in range(3)]
    weights = {k: v.clone() for k, v in net.named_parameters()}
    reference = copy.deepcopy(net)
    update_bn(data, reference)

    seen = reestimate_running_stats(net, iter(data), net)
    assert seen == 3 and net.training  # the mode is restored
    for name, value in buffers(reference).items():
        assert torch.allclose(buffers(net)[name].float(), value.float(), atol=1e-6), name
    for module in batch_norms(net):
        assert module.momentum == 0.1  # restored
    for name, value in net.named_parameters():
        assert torch.equal(value, weights[name]), name
