"""`kedro run --pipeline=acl` for real in a project copy, on tiny made-up upstream outputs."""

from __future__ import annotations

import json

import pytest
import torch

from rmfer.models import load_network
from tests.pipelines.conftest import run_tool
from tests.training.acl.test_train import ial_checkpoint, write_index, write_videos


@pytest.mark.slow
def test_kedro_run_acl_writes_checkpoint_and_metrics_with_mining_quality(project_copy):
    data = project_copy / "data"
    # What facetrack and ial leave behind: tracks + shards, the benchmark index, the IAL weights.
    tracks = write_videos(data / "03_primary/rm_faces", {"mash": (3, 8.0)})
    tracks = tracks.assign(
        x1=40.0 * tracks["person_id"], y1=0.0, x2=40.0 * tracks["person_id"] + 30, y2=30.0
    )
    tracks.to_parquet(data / "03_primary/face_tracks.parquet")
    (data / "02_intermediate").mkdir(parents=True)
    write_index(data / "01_raw/images", {"train": 28, "test": 14}).to_parquet(
        data / "02_intermediate/benchmark_index.parquet"
    )
    (data / "06_models").mkdir(parents=True)
    torch.save(ial_checkpoint(), data / "06_models/ial.pt")
    # The demo world's sidecar: the same boxes, each person's expression switching every 2 s.
    truth = tracks[["video_id", "frame_idx", "time_s", "person_id", "x1", "y1", "x2", "y2"]]
    truth = truth.assign(dominant=(truth["time_s"] // 2).astype(int) % 3)
    (data / "01_raw/demo/truth").mkdir(parents=True)
    truth.to_parquet(data / "01_raw/demo/truth/mash.parquet")

    params = (
        "acl.epochs=1,acl.steps_per_epoch=2,acl.batch_size=14,acl.anchors_per_batch=4,"
        "acl.positives=4,acl.negatives=4,acl.threads=2,acl.mining_quality.anchors=20"
    )
    run_tool(["kedro", "run", "--pipeline=acl", f"--params={params}"], project_copy, timeout=240)

    checkpoint = torch.load(data / "06_models/acl.pt", weights_only=True)
    net = load_network(checkpoint)
    assert net.config.backbone == "test_efficientnet" and checkpoint["extra"]["stage"] == "acl"
    metrics = json.loads((data / "08_reporting/acl_metrics.json").read_text())
    assert 0 <= metrics["accuracy"] <= 1 and metrics["epochs_run"] == 1
    assert len(metrics["per_class_recall"]) == 7 and "accuracy" in metrics["ial_test"]
    assert metrics["mining"]["anchors_used"] == 8
    quality = metrics["mining_quality"]
    assert quality["available"] and quality["faces_matched"] == 1.0
    figures = quality["ial_model"]
    assert figures["anchors"] == 20
    for kind in ("time_only", "prior"):
        for side in ("positive", "negative"):
            assert 0 <= figures[kind][side]["precision"] <= 1
    # Same truth, same rule: time-only positives within 0.5 s mostly share the expression.
    assert figures["time_only"]["positive"]["precision"] > 0.6
    # 2 other persons x 3 to 5 frames within 0.5 s: every anchor gets its 4 positives
    assert figures["time_only"]["positive"]["pairs"] == 20 * 4

    # the control: ACL's training with mu = 0 under the namespace `control`, from the same IAL
    # weights: no RM face read, no mining copied in, and weights of its own
    control = torch.load(data / "06_models/control.pt", weights_only=True)
    assert control["extra"]["stage"] == "control" and control["extra"]["params"]["mu"] == 0.0
    changed = {
        key: value
        for key, value in control["extra"]["params"].items()
        if checkpoint["extra"]["params"][key] != value
    }
    assert changed == {"mu": 0.0}
    control_metrics = json.loads((data / "08_reporting/control_metrics.json").read_text())
    assert control_metrics["mining"] == {"rm_faces_read": False}
    assert "mining_quality" not in control_metrics and control_metrics["epochs_run"] == 1
    assert control_metrics["ial_test"] == metrics["ial_test"]  # the same starting point
    assert any(
        not torch.equal(tensor, checkpoint["state_dict"][name])
        for name, tensor in control["state_dict"].items()
    )
