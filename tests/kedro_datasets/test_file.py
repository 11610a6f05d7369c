"""The single-file datasets: atomic saves, the recorded arguments, and what they refuse."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from kedro.io.core import DatasetError

from rmfer.kedro_datasets.binary import BinaryDataset
from rmfer.kedro_datasets.torch_checkpoint import TorchCheckpointDataset


def test_bytes_round_trip_into_a_new_folder_and_leave_no_temporary(tmp_path: Path):
    target = tmp_path / "videos" / "a.mp4"
    dataset = BinaryDataset(filepath=str(target))
    assert not dataset.exists()
    dataset.save(b"\x00video")
    assert dataset.exists()
    assert dataset.load() == b"\x00video"
    assert sorted(p.name for p in target.parent.iterdir()) == ["a.mp4"]


def test_a_failed_save_keeps_the_previous_file(tmp_path: Path):
    target = tmp_path / "model.pt"
    dataset = TorchCheckpointDataset(str(target))
    dataset.save({"state_dict": {"w": torch.arange(3)}, "format": "x"})
    before = target.read_bytes()
    with pytest.raises(DatasetError, match="a checkpoint must be a dict"):
        dataset.save([1, 2])  # type: ignore[arg-type]
    with pytest.raises(DatasetError):
        dataset.save({"unpicklable": lambda: None})
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.pt"]
    loaded = dataset.load()
    assert loaded["format"] == "x" and torch.equal(loaded["state_dict"]["w"], torch.arange(3))


def test_a_checkpoint_that_needs_unpickling_code_is_refused(tmp_path: Path):
    target = tmp_path / "bad.pt"
    torch.save({"path": Path("x")}, target)
    with pytest.raises(DatasetError, match=r"bad\.pt is not a checkpoint .*weights_only=True"):
        TorchCheckpointDataset(str(target)).load()


def test_the_catalog_records_the_arguments_by_name(tmp_path: Path):
    dataset = BinaryDataset(str(tmp_path / "a.npy"))
    assert dataset._init_config() == {
        "type": "rmfer.kedro_datasets.binary.BinaryDataset",
        "filepath": str(tmp_path / "a.npy"),
    }


def test_only_local_files(tmp_path: Path):
    with pytest.raises(DatasetError, match="local files only"):
        BinaryDataset("s3://bucket/a.mp4")
