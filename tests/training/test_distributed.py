"""Training on two CPU processes (gloo), launched as the training node launches them.

The one-step check compares a two-rank step with a one-process step on the same global batch;
the runs check that only rank 0 writes; a rank killed with SIGKILL must fail the run, not hang.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch

from rmfer.errors import ParameterError, StageError
from rmfer.faults import checkpoint
from rmfer.models import load_network
from rmfer.models.network import AttentionNet, NetworkConfig, build_network
from rmfer.training import IalParams, train_ial
from rmfer.training.acl import AclParams, train_acl
from rmfer.training.acl.loss import acl_loss
from rmfer.training.collectives import mean_over_ranks
from rmfer.training.distributed import DistributedParams, launch, rank, wrap
from rmfer.training.ial.loss import IalLoss
from rmfer.training.loop import train_step
from rmfer.training.runtime import Precision
from rmfer.training.sampler import ClassBalancedBatchSampler, RankShare
from tests.training.acl.test_train import acl_params, write_index, write_videos
from tests.training.ial.test_options import tiny_params

CPU = torch.device("cpu")
TWO = DistributedParams(
    processes=2,
    nodes=1,
    rdzv_endpoint="localhost:0",
    backend="gloo",
    gather=True,
    sync_batchnorm=False,
    timeout_s=60.0,
)


def _net() -> AttentionNet:
    torch.manual_seed(0)
    config = NetworkConfig(
        backbone="test_efficientnet", num_classes=4, image_size=16, label_names=list("abcd")
    )
    return build_network(config).eval()  # BatchNorm by running statistics: no per-rank batch


def _global_batch() -> dict[str, torch.Tensor]:
    """Four classes, three of each, in a shuffled order."""
    generator = torch.Generator().manual_seed(1)
    labels = torch.arange(4).repeat(3)[torch.randperm(12, generator=generator)]
    return {"image": torch.randn(12, 3, 16, 16, generator=generator), "label": labels}


def _acl_inputs() -> tuple[torch.Tensor, ...]:
    """Similarities of 6 anchors (the first without a kept positive) as a function of w."""
    generator = torch.Generator().manual_seed(2)
    pos, neg = torch.randn(6, 3, generator=generator), torch.randn(6, 4, generator=generator)
    keep_pos = torch.rand(6, 3, generator=generator) > 0.3
    keep_pos[0] = False
    return pos, keep_pos, neg, torch.rand(6, 4, generator=generator) > 0.2


def one_step(rows: list[int] | None) -> dict[str, object]:
    """IAL's step (through the loop's `train_step`) and ACL's loss on `rows` of the global
    batch (this rank's part), or on all of it: the loss terms and the gradients (DDP's mean
    of the ranks' gradients; ACL's emulated the same way, `mean_over_ranks`)."""
    net, batch = _net(), _global_batch()
    if rows is not None:
        batch = {key: value[rows] for key, value in batch.items()}
    optimiser = torch.optim.SGD(net.parameters(), lr=0.0)
    loss = IalLoss(lambda_att=0.5, tau=0.1, gather=True)
    terms = train_step(wrap(net, CPU, TWO), batch, loss, optimiser, Precision(CPU, None))
    grads = {name: p.grad.clone() for name, p in net.named_parameters() if p.grad is not None}
    pos, keep_pos, neg, keep_neg = _acl_inputs()
    mine = slice(None) if rows is None else slice(3 * rank(), 3 * rank() + 3)
    w = torch.ones((), requires_grad=True)
    acl = acl_loss(w * pos[mine], keep_pos[mine], w * neg[mine], keep_neg[mine], gather=True)
    acl.backward()
    return {
        "terms": terms,
        "grads": grads,
        "acl": mean_over_ranks({"loss": acl.detach(), "grad": w.grad}),
    }


def rank_rows(labels: list[int]) -> dict[str, object]:
    """This rank's rows: whole classes of the global batch, as `RankShare` deals them."""
    share = RankShare([list(range(len(labels)))], np.array(labels), rank(), 2)
    return one_step(next(iter(share)))


def test_one_step_on_two_processes_equals_one_process():
    alone = one_step(None)
    labels = _global_batch()["label"].tolist()
    together = launch(rank_rows, (labels,), TWO, "ial", "cpu")
    assert together["terms"] == pytest.approx(alone["terms"], rel=1e-5)
    assert together["grads"].keys() == alone["grads"].keys()
    for name, grad in alone["grads"].items():
        torch.testing.assert_close(together["grads"][name], grad, rtol=1e-4, atol=1e-6)
    # ACL: 2 usable anchors on rank 0, 3 on rank 1; the mean is over all 5, as alone
    assert together["acl"] == pytest.approx(alone["acl"], rel=1e-6)


def test_ranks_together_hold_class_balanced_batches_of_whole_classes():
    labels = np.repeat(np.arange(7), 10)
    sampler = ClassBalancedBatchSampler(labels, samples_per_class=3, num_batches=6, seed=0)
    parts = [list(RankShare(sampler, labels, r, 2)) for r in range(2)]
    held = np.zeros(2, dtype=int)
    for step, batch in enumerate(sampler):
        mine = [parts[r][step] for r in range(2)]
        assert sorted(mine[0] + mine[1]) == sorted(batch)  # together: the global batch
        for r, rows in enumerate(mine):
            classes, counts = np.unique(labels[rows], return_counts=True)
            assert set(counts) == {3}  # whole classes: samples_per_class of each it holds
            held[r] += len(classes)
        assert not set(labels[mine[0]]) & set(labels[mine[1]])
    assert held.tolist() == [21, 21]  # 7 classes x 6 batches, dealt in turn
    shuffled = [list(range(k, k + 5)) for k in range(0, 20, 5)]
    halves = [list(RankShare(shuffled, None, r, 2)) for r in range(2)]
    assert [a + b for a, b in zip(*halves, strict=True)] == shuffled


def kill_rank_one() -> None:
    """Rank 1 dies at its first `epoch_end`; rank 0 then waits on it in a collective."""
    checkpoint("epoch_end")
    torch.distributed.all_reduce(torch.ones(1))


def test_a_killed_rank_fails_the_run_with_its_name(monkeypatch):
    monkeypatch.setenv("RMFER_FAULT_AT", "epoch_end:1")
    monkeypatch.setenv("RMFER_FAULT_RANK", "1")
    started = time.monotonic()
    with pytest.raises(StageError, match=r"rank 1 \(pid \d+\) was killed by SIGKILL") as error:
        launch(kill_rank_one, (), TWO, "ial", "cpu")
    assert "timeout_s" in str(error.value) and "out of memory" in str(error.value)
    assert time.monotonic() - started < 60


def stall_or_raise(seconds: float) -> None:
    """Rank 1 stalls for `seconds` (a hung rank) or, with 0, raises; rank 0 waits on it."""
    if rank() == 1:
        if not seconds:
            raise ParameterError("ial.lr = 99 is out of range")
        time.sleep(seconds)
    torch.distributed.all_reduce(torch.ones(1))


@pytest.mark.distributed
def test_a_stalled_rank_times_out_and_an_error_is_named():
    quick = DistributedParams(**{**TWO.__dict__, "timeout_s": 5.0})
    started = time.monotonic()
    with pytest.raises(StageError, match=r"rank 0 raised .*timeout_s = 5 s") as error:
        launch(stall_or_raise, (60.0,), quick, "ial", "cpu")
    assert time.monotonic() - started < 55 and "out of memory" in str(error.value)
    with pytest.raises(StageError, match=r"rank 1 raised ParameterError: ial.lr = 99 is out"):
        launch(stall_or_raise, (0.0,), TWO, "ial", "cpu")


def _two_processes(params: dict, tmp_path) -> dict:
    return {
        **params,
        "distributed": {**params["distributed"], **TWO.__dict__},
        "live_dir": str(tmp_path / "live"),
        "state_dir": str(tmp_path / "state"),
        "checkpoint_every_steps": 1,
    }


def _rows(path) -> int:
    return len(path.read_text().splitlines()) - 1  # less the header


@pytest.mark.distributed
def test_short_ial_and_acl_runs_on_two_processes_write_once(tmp_path):
    index = write_index(tmp_path / "images", {"train": 42, "test": 14})
    ial = tiny_params(epochs=2, batch_size=14, optimiser="sam").to_dict()  # no_sync, then synced
    result = train_ial(index, IalParams.from_dict(_two_processes(ial, tmp_path)), progress=False)
    metrics = result.metrics
    assert metrics["epochs_run"] == 2 and metrics["test"]["accuracy"] is not None
    assert all("val_accuracy" in row for row in metrics["history"])  # rank 0's, validated
    # one writer: dvclive's rows once per epoch (two writers would append twice), and the
    # training state written by rank 0 and removed by it at the end
    assert _rows(tmp_path / "live/ial/plots/metrics/train_loss.tsv") == 2
    assert list((tmp_path / "state").iterdir()) == []
    load_network(result.checkpoint)  # plain weights, as one process writes them

    tracks = write_videos(tmp_path / "faces", {"good": (3, 8.0)})
    # separate: two DDP forward passes (labeled, then RM) before one backward; the anchors
    # alone train, against each rank's own memory bank of z (gathered across ranks for the loss)
    cheap = {"embedding_refresh_steps": None, "candidate_gradient": False}
    acl_dict = acl_params(tmp_path / "faces", bn_mode="separate", **cheap).to_dict()
    acl = _two_processes(acl_dict, tmp_path)
    done = train_acl(tracks, index, result.checkpoint, AclParams.from_dict(acl))
    assert done.metrics["epochs_run"] == 2 and done.metrics["accuracy"] is not None
    assert done.metrics["history"][0]["train_acl"] > 0
    assert _rows(tmp_path / "live/acl/plots/metrics/train_acl.tsv") == 2
