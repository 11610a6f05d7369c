from pathlib import Path

import pytest
from kedro.io.core import DatasetError

from rmfer.datasets.benchmark import BenchmarkDataset


def _files(names: list[str]) -> dict[str, bytes | str]:
    files: dict[str, bytes | str] = {f"Image/aligned/{n}_aligned.jpg": b"jpeg" for n in names}
    files["EmoLabel/list_patition_label.txt"] = "".join(f"{n}.jpg 1\n" for n in names)
    return files


def test_a_downloaded_benchmark_is_never_written(tmp_path: Path):
    dataset = BenchmarkDataset("rafdb", str(tmp_path / "rafdb"))
    with pytest.raises(DatasetError, match="read-only"):
        dataset.save(_files(["train_00001"]))
    assert not (tmp_path / "rafdb").exists()


def test_the_demo_benchmark_is_written_and_a_smaller_one_leaves_nothing_stale(tmp_path: Path):
    root = tmp_path / "basic"
    dataset = BenchmarkDataset("rafdb", str(root), writable=True)
    dataset.save(_files(["train_00001", "train_00002", "test_0001"]))
    assert (root / "EmoLabel/list_patition_label.txt").read_text().count("\n") == 3
    dataset.save(_files(["train_00001"]))
    left = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    assert left == ["EmoLabel/list_patition_label.txt", "Image/aligned/train_00001_aligned.jpg"]
