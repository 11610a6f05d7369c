"""train_acl end to end on a tiny made-up world: outputs, repeatability, and bad input."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from rmfer.data.rm_faces import RMFacesError
from rmfer.data.rm_sampler import NoUsableAnchorError
from rmfer.errors import ParameterError
from rmfer.faces.shards import ShardWriter
from rmfer.labels import label_names
from rmfer.models import build_network, load_network, make_checkpoint
from rmfer.models.network import NetworkConfig
from rmfer.training.acl import AclParams, train_acl
from tests.conf import environment_parameters
from tests.conftest import PROJECT_ROOT
from tests.data.layouts import write_image

CROP = 16


def acl_params(faces_dir: Path, truth_dir: str | None = None, **overrides) -> AclParams:
    """The project's demo parameters, shrunk to seconds of CPU."""
    params = yaml.safe_load((PROJECT_ROOT / "conf/base/parameters_acl.yml").read_text())["acl"]
    small = dict(epochs=2, steps_per_epoch=2, batch_size=14, anchors_per_batch=4, threads=2)
    mining = dict(positives=4, negatives=4, window_s=0.5, distance_s=3.0)
    params.update(faces_dir=str(faces_dir), progress=False, live_dir=None, state_dir=None)
    params.update(**small, **mining)
    params.update(overrides)
    params["mining_quality"] = {**params["mining_quality"], "truth_dir": truth_dir}
    return AclParams.from_dict(params)


def write_index(root: Path, per_class: dict[str, int]) -> pd.DataFrame:
    """Flat-coloured images whose grey level depends on the label, in train and test."""
    rows = []
    for split, count in per_class.items():
        for k in range(count):
            label = k % 7
            path = write_image(root / f"{split}_{k}.png", (20, 20), 30 * label + 10)
            rows.append({"path": str(path), "label": label, "split": split, "dataset": "toy"})
    return pd.DataFrame(rows)


def write_videos(folder: Path, videos: dict[str, tuple[int, float]], seed: int = 0) -> pd.DataFrame:
    """face_tracks rows and one shard per video: {video_id: (persons, seconds)} at 5 Hz."""
    rng = np.random.default_rng(seed)
    rows = []
    for video_id, (persons, seconds) in videos.items():
        writer = ShardWriter(folder / f"{video_id}.npy", (CROP, CROP, 3))
        for step in range(int(seconds * 5)):
            for person in range(persons):
                offset = writer.append(rng.integers(0, 256, (CROP, CROP, 3), dtype=np.uint8))
                rows.append(
                    {
                        "video_id": video_id,
                        "frame_idx": 2 * step,
                        "time_s": step / 5,
                        "person_id": person,
                        "shard": f"{video_id}.npy",
                        "offset": offset,
                    }
                )
        writer.finish(np.arange(writer.count))
    return pd.DataFrame(rows)


def ial_checkpoint(image_size: int = 24) -> dict:
    torch.manual_seed(0)
    config = NetworkConfig("test_efficientnet", 7, image_size, label_names(7), tau=0.5)
    return make_checkpoint(build_network(config), {"stage": "ial", "params": {"epochs": 1}})


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("acl_world")
    index = write_index(root / "images", {"train": 28, "test": 14})
    tracks = write_videos(root / "faces", {"good": (3, 8.0), "lonely": (1, 8.0), "brief": (2, 2.0)})
    return root, index, tracks


def test_trains_from_ial_weights_and_same_seed_gives_same_metrics(world, caplog):
    root, index, tracks = world
    params = acl_params(root / "faces")
    with caplog.at_level(logging.WARNING):
        first = train_acl(tracks, index, ial_checkpoint(), params)
    second = train_acl(tracks, index, ial_checkpoint(), params)

    metrics = first.metrics
    assert metrics["epochs_run"] == 2 and len(metrics["history"]) == 2
    assert 0 <= metrics["accuracy"] <= 1 and set(metrics["per_class_recall"]) == set(label_names(7))
    assert metrics["ial_test"]["accuracy"] is not None  # the starting point, same test split
    history = metrics["history"][0]
    assert history["train_acl"] > 0 and history["train_kept_positives"] >= 1
    # 4 anchors, 4 + 4 candidates, rho 0.2: the filter keeps one of each
    assert history["train_kept_positives"] == history["train_kept_negatives"] == 1
    assert history["train_rm_faces_trained"] < history["train_rm_faces_scored"]

    mining = metrics["mining"]
    assert mining["anchors_used"] == 2 * 2 * 4
    assert mining["skipped_no_positive"] > 0 and mining["skipped_no_negative"] > 0
    per_video = {row["video_id"]: row for row in mining["per_video"]}
    assert per_video["good"]["usable_anchors"] == per_video["good"]["faces"]
    assert "single person" in per_video["lonely"]["reason"]
    assert "spans <= distance_s" in per_video["brief"]["reason"]
    assert "lonely gives no anchor" in caplog.text

    # Same seed, same CPU: same numbers, same weights.
    same = {k: v for k, v in second.metrics.items() if k != "seconds"}
    assert json.dumps({k: v for k, v in metrics.items() if k != "seconds"}) == json.dumps(same)
    for name, tensor in first.checkpoint["state_dict"].items():
        assert torch.equal(tensor, second.checkpoint["state_dict"][name]), name

    # The checkpoint is ial_model's format: evaluate and predict load both the same way.
    net = load_network(first.checkpoint)
    assert (
        net.config.backbone == "test_efficientnet" and first.checkpoint["extra"]["stage"] == "acl"
    )
    changed = any(
        not torch.equal(tensor, ial_checkpoint()["state_dict"][name])
        for name, tensor in first.checkpoint["state_dict"].items()
    )
    assert changed


def test_a_missing_shard_is_named_and_training_goes_on(world, tmp_path, caplog):
    _, index, _ = world
    tracks = write_videos(tmp_path, {"good": (3, 8.0), "gone": (3, 8.0)})
    (tmp_path / "gone.npy").unlink()
    with caplog.at_level(logging.WARNING):
        result = train_acl(tracks, index, ial_checkpoint(), acl_params(tmp_path, epochs=1))
    shards = result.metrics["mining"]["shards"]
    assert shards["shards_dropped"] == {"gone.npy": "the shard file is missing"}
    assert shards["rows_dropped"] == 120
    assert "gone.npy" in caplog.text and result.metrics["mining"]["faces"] == 120


def test_no_usable_video_or_no_shard_stops_with_a_clear_error(world, tmp_path):
    _, index, _ = world
    tracks = write_videos(tmp_path, {"lonely": (1, 8.0), "brief": (3, 2.0)})
    with pytest.raises(NoUsableAnchorError, match=r"lonely: a single person.*brief: every track"):
        train_acl(tracks, index, ial_checkpoint(), acl_params(tmp_path))
    for shard in tmp_path.glob("*.npy"):
        shard.unlink()
    with pytest.raises(RMFacesError, match="no readable face crop"):
        train_acl(tracks, index, ial_checkpoint(), acl_params(tmp_path))


def test_parameters_name_the_bad_key():
    for env in ("base", "paper"):
        AclParams.from_dict(environment_parameters(env, "acl"))
    with pytest.raises(ParameterError, match=r"acl.rho = 1.5"):
        acl_params(Path("x"), rho=1.5)
    with pytest.raises(ParameterError, match="min_positives"):
        acl_params(Path("x"), min_positives=9)
    with pytest.raises(ParameterError, match=r"unknown parameters \['acl.window'\]"):
        acl_params(Path("x"), window=1.0)
    with pytest.raises(ParameterError, match=r"unknown parameters \['acl.prior'\]"):
        acl_params(Path("x"), prior=True)  # replaced by acl.pairing
    for key, value in (("pairing", "both"), ("bn_mode", "off"), ("objective", "byol")):
        with pytest.raises(ParameterError, match=rf"acl.{key} = '{value}'"):
            acl_params(Path("x"), **{key: value})
    with pytest.raises(ParameterError, match=r"acl.embedding_refresh_steps = 0"):
        acl_params(Path("x"), embedding_refresh_steps=0)
    assert acl_params(Path("x"), embedding_refresh_steps=None).embedding_refresh_steps is None
    with pytest.raises(ParameterError, match=r"acl.pairing = 'oracle'.*truth_dir"):
        acl_params(Path("x"), pairing="oracle")


def test_mu_zero_is_ial_continued_without_any_rm_face(world, monkeypatch, tmp_path):
    """The control: same schedule and selection, L_IAL only, no face table nor shard read."""
    _, index, _ = world
    from rmfer.training.acl import train as acl_train

    def no_rm(*args, **kwargs):
        raise AssertionError("the mu = 0 control must not open the RM faces")

    monkeypatch.setattr(acl_train, "open_rm_faces", no_rm)
    params = acl_params(tmp_path / "nowhere", mu=0.0)
    first = train_acl(None, index, ial_checkpoint(), params)
    second = train_acl(None, index, ial_checkpoint(), params)
    for name, tensor in first.checkpoint["state_dict"].items():
        assert torch.equal(tensor, second.checkpoint["state_dict"][name]), name
    history = first.metrics["history"]
    assert len(history) == 2 and first.metrics["mining"] == {"rm_faces_read": False}
    terms = {key for key in history[0] if key.startswith("train_")}
    assert terms == {"train_loss", "train_ce_main", "train_ce_attention", "train_ial"}
    assert history[0]["train_loss"] == history[0]["train_ial"]


def test_reestimate_leaves_the_train_splits_batch_statistics(world, tmp_path):
    """bn_mode reestimate: the kept net's running statistics are an independent update_bn over
    the labeled train split (evaluation transform); dvclive logs one row per epoch."""
    from torch.optim.swa_utils import update_bn
    from torch.utils.data import DataLoader

    from rmfer.data.dataset import BenchmarkImages
    from rmfer.data.transforms import eval_transform
    from rmfer.training.splits import training_splits

    root, index, tracks = world
    live = tmp_path / "live"
    params = acl_params(root / "faces", bn_mode="reestimate", live_dir=str(live))
    result = train_acl(tracks, index, ial_checkpoint(), params)

    net = load_network(result.checkpoint)
    train, *_ = training_splits(index, "auto", params.validation_fraction, params.seed, "acl")
    config = net.config
    images = BenchmarkImages(train, eval_transform(config.image_size, config.mean, config.std), 7)
    loader = DataLoader(images, batch_size=params.eval_batch_size)
    reference = load_network(result.checkpoint)
    update_bn((batch["image"] for batch in loader), reference)
    state, expected = net.state_dict(), reference.state_dict()
    stats = [k for k in expected if "running_" in k]
    assert stats
    for name in stats:
        assert torch.allclose(state[name], expected[name], atol=1e-5), name

    # dvclive: one row per epoch, step = the epoch
    rows = (live / "acl/plots/metrics/val_mean_class_accuracy.tsv").read_text().splitlines()
    assert rows[0].split("\t") == ["step", "val_mean_class_accuracy"] and len(rows) == 3
    assert [row.split("\t")[0] for row in rows[1:]] == ["1", "2"]
    latest = json.loads((live / "acl/metrics.json").read_text())
    assert latest["step"] == 2 and "train_loss" in latest


def test_simclr_and_oracle_runs(world, tmp_path):
    root, index, tracks = world
    simclr = train_acl(
        tracks, index, ial_checkpoint(), acl_params(root / "faces", objective="simclr", epochs=1)
    )
    history = simclr.metrics["history"][0]
    assert history["train_simclr"] > 0 and "train_acl" not in history
    assert history["train_rm_faces_trained"] == 2 * 4  # two views of each of the 4 anchors

    # oracle: the sidecar gives every face of "good" a mixture
    boxed = tracks.assign(
        x1=40.0 * tracks["person_id"], y1=0.0, x2=40.0 * tracks["person_id"] + 30, y2=30.0
    )
    truth = boxed[["video_id", "frame_idx", "time_s", "person_id", "x1", "y1", "x2", "y2"]]
    truth = truth[truth["video_id"] == "good"]
    mixture = np.eye(8)[(truth["time_s"] // 2).astype(int) % 3]
    truth = truth.assign(
        **{
            f"p_{name.lower()}": mixture[:, k]
            for k, name in enumerate(
                (
                    "neutral",
                    "happiness",
                    "sadness",
                    "surprise",
                    "fear",
                    "disgust",
                    "anger",
                    "contempt",
                )
            )
        }
    )
    (tmp_path / "truth").mkdir()
    truth.to_parquet(tmp_path / "truth/good.parquet")
    params = acl_params(
        root / "faces", truth_dir=str(tmp_path / "truth"), pairing="oracle", epochs=1
    )
    oracle = train_acl(boxed, index, ial_checkpoint(), params)
    history = oracle.metrics["history"][0]
    assert oracle.metrics["pairing"] == "oracle" and history["train_rm_faces_scored"] == 0
    assert history["train_kept_positives"] >= 1 and history["train_acl"] > 0
