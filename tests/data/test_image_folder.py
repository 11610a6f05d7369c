"""The generic `<split>/<class>/<image>` reader: names, synonyms, splits, warnings, errors."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from rmfer.data import BenchmarkFormatError, read_benchmark
from rmfer.data.dataset import BenchmarkImages
from tests.data.layouts import write_image

DOC = "docs/data-formats.md"


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


def test_nothing_in_place_names_the_path_and_the_places_looked(tmp_path: Path):
    root = tmp_path / "nowhere"
    with pytest.raises(FileNotFoundError) as raised:
        read_benchmark("image_folder", root)
    assert str(raised.value) == (
        f"no split folders found at {root} (looked for "
        f"{root}/{{train,val,valid,validation,test}}); put the split folders, each holding "
        f"class folders, there — see {DOC}"
    )
    with pytest.raises(ValueError, match="unknown benchmark format 'kdef'"):
        read_benchmark("kdef", tmp_path)


@pytest.mark.parametrize("level", [".", ".."], ids=["the split folders' folder", "the one above"])
def test_the_folder_of_splits_or_the_folder_above(tmp_path: Path, level: str):
    root = tmp_path / "copy/AffectNet"  # a copy that unpacks to a folder of its own name
    write_image(root / "train/happy/a.jpg")
    write_image(root / "test/sad/b.jpg")
    index = read_benchmark("image_folder", (root / level).resolve())
    assert index["path"].tolist() == [str(root / "test/sad/b.jpg"), str(root / "train/happy/a.jpg")]


def test_a_wrong_layout_names_the_layout_known(tmp_path: Path):
    write_image(tmp_path / "copy/happy/a.jpg")  # class folders without a split folder
    write_image(tmp_path / "copy/sad/b.jpg")
    with pytest.raises(FileNotFoundError) as raised:
        read_benchmark("image_folder", tmp_path / "copy")
    message = str(raised.value)
    assert "copy does not hold split folders in a layout this reader knows" in message
    assert "Known layout: <split>/<class>/<image>, the split one of train, val, valid," in message
    assert message.endswith(
        f"To fix: put the split folders, each holding class folders, there — see {DOC}"
    )


# Folders named by class id, as RAF-DB (1..7) and AffectNet (0..7) copies are often shared.
RAFDB_IDS = {1: 3, 2: 4, 3: 5, 4: 1, 5: 2, 6: 6, 7: 0}  # docs/data-formats.md


@pytest.mark.parametrize(
    ("label_order", "ids", "canonical"),
    [
        ("rafdb", list(RAFDB_IDS), list(RAFDB_IDS.values())),
        ("affectnet", list(range(8)), list(range(8))),
        ("canonical", list(range(7)), list(range(7))),
    ],
)
def test_class_id_folders_in_each_label_order(
    tmp_path: Path, label_order: str, ids: list[int], canonical: list[int]
):
    for raw in ids:
        write_image(tmp_path / "train" / str(raw) / "a.jpg")
        write_image(tmp_path / "test" / str(raw) / "b.jpg")
    index = read_benchmark("image_folder", tmp_path, label_order=label_order)
    by_folder = dict(
        zip(index["path"].map(lambda p: Path(p).parent.name), index["label"], strict=True)
    )
    assert by_folder == {str(raw): label for raw, label in zip(ids, canonical, strict=True)}
    assert index["label"].max() == max(canonical)


def test_class_id_folders_need_a_label_order(tmp_path: Path):
    write_image(tmp_path / "train/1/a.jpg")
    with pytest.raises(BenchmarkFormatError, match=r"train/1: a class folder named by id; set "):
        read_benchmark("image_folder", tmp_path)
    write_image(tmp_path / "train/8/a.jpg")
    with pytest.raises(BenchmarkFormatError, match=r"class id 8 is not in label_order 'rafdb'"):
        read_benchmark("image_folder", tmp_path, label_order="rafdb")
    with pytest.raises(ValueError, match=r"unknown label_order 'fer2013'"):
        read_benchmark("image_folder", tmp_path, label_order="fer2013")
    with pytest.raises(ValueError, match=r"label_order applies to image_folder"):
        read_benchmark("rafdb", tmp_path, label_order="rafdb")
