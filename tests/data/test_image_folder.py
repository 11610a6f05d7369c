"""The generic `<split>/<class>/<image>` reader: names, synonyms, splits, warnings, errors."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from rmfer.data import BenchmarkFormatError, read_benchmark
from rmfer.data.dataset import BenchmarkImages
from tests.data.layouts import write_image


def test_class_names_any_case_and_synonyms(tmp_path: Path, caplog):
    for split, name, label in [
        ("train", "HAPPY", 1),
        ("train", "sad", 2),
        ("train", "Surprised", 3),
        ("train", "fearful", 4),
        ("train", "Disgusted", 5),
        ("train", "angry", 6),
        ("train", "neutral", 0),
        ("val", "Happiness", 1),
        ("test", "anger", 6),
    ]:
        write_image(tmp_path / split / name / f"{label}.png")
    (tmp_path / "train/sad/notes.txt").write_text("not an image")
    with caplog.at_level(logging.INFO):
        index = read_benchmark("image_folder", tmp_path)
    train = index[index["split"] == "train"].sort_values("label")
    assert train["label"].tolist() == list(range(7))
    assert index.loc[index["split"] == "validation", "label"].tolist() == [1]
    assert index.loc[index["split"] == "test", "label"].tolist() == [6]
    assert "dropped 1 non-image files" in caplog.text
    assert "split 'test' has no image of class Neutral (id 0)" in caplog.text
    data = BenchmarkImages(index, lambda x: x, num_classes=7)
    assert data[0]["image"].shape == (3, 24, 24)


def test_contempt_folder_makes_eight_classes(tmp_path: Path):
    write_image(tmp_path / "train/contempt/a.jpg")
    write_image(tmp_path / "train/happy/a.jpg")
    assert sorted(read_benchmark("image_folder", tmp_path)["label"]) == [1, 7]
    with pytest.raises(BenchmarkFormatError, match="class id 7 does not exist with num_classes=7"):
        read_benchmark("image_folder", tmp_path, num_classes=7)


def test_empty_class_folder_warns(tmp_path: Path, caplog):
    write_image(tmp_path / "train/happy/a.jpg")
    (tmp_path / "train/sad").mkdir()
    with caplog.at_level(logging.WARNING):
        read_benchmark("image_folder", tmp_path)
    assert "split 'train' has no image of class Sadness (id 2)" in caplog.text


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("train/bored/a.jpg", r"train/bored: unknown expression name 'bored'"),
        ("training/happy/a.jpg", r"training: expected only split folders"),
    ],
)
def test_unknown_folders_are_named(tmp_path: Path, path: str, message: str):
    write_image(tmp_path / "train/happy/a.jpg")
    write_image(tmp_path / path)
    with pytest.raises(BenchmarkFormatError, match=message):
        read_benchmark("image_folder", tmp_path)


def test_unreadable_image_is_named_when_loaded(tmp_path: Path):
    write_image(tmp_path / "train/happy/a.jpg")
    (tmp_path / "train/happy/b.jpg").write_bytes(b"this is not a jpeg")
    index = read_benchmark("image_folder", tmp_path)
    data = BenchmarkImages(index, lambda x: x, num_classes=7)
    with pytest.raises(BenchmarkFormatError, match=r"image .*b\.jpg cannot be decoded"):
        data[1]


def test_missing_root_and_unknown_format(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match=r"image folder .*nowhere does not exist"):
        read_benchmark("image_folder", tmp_path / "nowhere")
    with pytest.raises(ValueError, match="unknown benchmark format 'kdef'"):
        read_benchmark("kdef", tmp_path)
