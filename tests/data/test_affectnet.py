"""AffectNet: canonical labels as given, 8-10 dropped and counted, face boxes kept and cropped,
in the lists (with or without a header) and in the newer npy release."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from rmfer.data import BenchmarkFormatError, read_benchmark
from rmfer.data.dataset import BenchmarkImages
from rmfer.errors import MissingInputError
from tests.data.layouts import (
    affectnet_row,
    write_affectnet,
    write_affectnet_npy,
    write_image,
)

TRAINING = [affectnet_row(f"{k % 3}/img{k}.jpg", k) for k in range(11)]  # every expression 0..10
VALIDATION = [affectnet_row(f"9/val{k}.jpg", k) for k in range(8)]


@pytest.mark.parametrize("num_classes", [7, 8])
def test_labels_splits_and_drops(tmp_path: Path, num_classes: int, caplog):
    root = write_affectnet(tmp_path / "affectnet", TRAINING, VALIDATION)
    with caplog.at_level(logging.INFO):
        index = read_benchmark("affectnet", root, num_classes=num_classes)
    train, test = index[index["split"] == "train"], index[index["split"] == "test"]
    assert train["label"].tolist() == list(range(num_classes))
    assert test["label"].tolist() == list(range(num_classes))
    assert set(index["split"]) == {"train", "test"}
    assert set(index["dataset"]) == {f"affectnet{num_classes}"}
    assert train["path"].iloc[1] == str(root / "Manually_Annotated_Images/1/img1.jpg")
    assert index[["face_x", "face_y", "face_width", "face_height"]].iloc[0].tolist() == [
        4,
        6,
        20,
        16,
    ]
    expected = "dropped 1 None (8), 1 Uncertain (9), 1 Non-Face (10)"
    if num_classes == 7:
        expected = (
            "dropped 2 Contempt (7) in the 7-class setting, 1 None (8), 1 Uncertain (9), "
            "1 Non-Face (10)"
        )
    counts = f"{2 * num_classes} images (train {num_classes}, test {num_classes})"
    assert f"AffectNet-{num_classes} {root}: {counts}; {expected}" in caplog.text


@pytest.mark.parametrize(
    ("bad_row", "message"),
    [
        (affectnet_row("0/x.jpg", 11), r"training\.csv, line 3: expression 11 is not in 0\.\.10"),
        (affectnet_row("0/x.jpg", -1), r"training\.csv, line 3: expression -1"),
        (
            affectnet_row("0/x.jpg", 1).replace(",1,0.1", ",happy,0.1"),
            r"line 3: expression = 'happy'",
        ),
        ("0/x.jpg,1,2,3", r"training\.csv, line 3: expected 9 comma-separated fields, got 4"),
        (affectnet_row("0/x.jpg", 2, (1, 1, 0, 5)), r"line 3: face box .* has no area"),
        (
            affectnet_row("0/x.jpg", 2).replace("0/x.jpg,4,", "0/x.jpg,left,"),
            r"line 3: face_x = 'left'",
        ),
    ],
)
def test_bad_rows_name_the_file_and_line(tmp_path: Path, bad_row: str, message: str):
    root = write_affectnet(tmp_path / "affectnet", TRAINING[:1], VALIDATION)
    csv_file = root / "Manually_Annotated_file_lists/training.csv"
    csv_file.write_text(csv_file.read_text() + bad_row + "\n")
    write_image(root / "Manually_Annotated_Images/0/x.jpg")
    with pytest.raises(BenchmarkFormatError, match=message):
        read_benchmark("affectnet", root)


def test_missing_list_and_missing_image(tmp_path: Path):
    root = write_affectnet(tmp_path / "affectnet", TRAINING, VALIDATION)
    (root / "Manually_Annotated_Images/9/val3.jpg").unlink()
    with pytest.raises(FileNotFoundError, match=r"val3\.jpg named at .*validation\.csv, line 5"):
        read_benchmark("affectnet", root)
    (root / "Manually_Annotated_file_lists/validation.csv").unlink()
    with pytest.raises(FileNotFoundError, match=r"AffectNet list not found: .*validation\.csv"):
        read_benchmark("affectnet", root)


def test_wrong_header_is_named(tmp_path: Path):
    root = write_affectnet(tmp_path / "affectnet", TRAINING, VALIDATION)
    csv_file = root / "Manually_Annotated_file_lists/training.csv"
    csv_file.write_text(csv_file.read_text().replace("expression", "emotion", 1))
    with pytest.raises(BenchmarkFormatError, match=r"training\.csv, line 1: header must be"):
        read_benchmark("affectnet", root)


def test_dataset_crops_the_face_box(tmp_path: Path):
    root = write_affectnet(
        tmp_path / "affectnet", [affectnet_row("0/a.png", 1, (10, 5, 12, 8))], VALIDATION
    )
    image = np.zeros((40, 48, 3), dtype=np.uint8)
    image[5:13, 10:22] = 200  # exactly the box
    cv2.imwrite(str(root / "Manually_Annotated_Images/0/a.png"), image)
    index = read_benchmark("affectnet", root)
    data = BenchmarkImages(index[index["split"] == "train"], lambda x: x, num_classes=7)
    crop = data[0]["image"]
    assert crop.shape == (3, 8, 12)
    assert torch.all(crop == 200)
    assert data[0]["label"].item() == 1


def test_box_outside_the_image_is_named(tmp_path: Path):
    root = write_affectnet(
        tmp_path / "affectnet", [affectnet_row("0/a.jpg", 1, (60, 50, 10, 10))], VALIDATION
    )
    index = read_benchmark("affectnet", root)
    data = BenchmarkImages(index, lambda x: x, num_classes=7)
    with pytest.raises(
        BenchmarkFormatError, match=r"a\.jpg: face box \(60, 50, 10, 10\) lies outside"
    ):
        data[0]


def test_lists_without_a_header_give_the_same_index(tmp_path: Path):
    with_header = write_affectnet(tmp_path / "with", TRAINING, VALIDATION)
    without = write_affectnet(tmp_path / "without", TRAINING, VALIDATION, header=False)
    expected = read_benchmark("affectnet", with_header, num_classes=8)
    index = read_benchmark("affectnet", without, num_classes=8)
    assert index.drop(columns="path").equals(expected.drop(columns="path"))
    assert expected[["valence", "arousal"]].iloc[0].tolist() == [0.1, -0.2]
    bad = without / "Manually_Annotated_file_lists/training.csv"
    bad.write_text("0/x.jpg,1,2,3\n")  # a short first row is a data row, and is named
    with pytest.raises(BenchmarkFormatError, match=r"training\.csv, line 1: expected 9"):
        read_benchmark("affectnet", without)


NPY_SPLITS = {
    "train_set": [(k, 0.1 * k, -0.5) for k in range(11)],  # every expression 0..10
    "val_set": [(k, -0.25, 0.5) for k in range(8)],
}


@pytest.mark.parametrize("num_classes", [7, 8])
def test_the_npy_release_gives_labels_splits_drops_and_affect(tmp_path: Path, num_classes: int):
    root = write_affectnet_npy(tmp_path / "affectnet", NPY_SPLITS)
    index = read_benchmark("affectnet", root, num_classes=num_classes)
    assert list(index.columns) == ["path", "label", "split", "dataset", "valence", "arousal"]
    train, test = index[index["split"] == "train"], index[index["split"] == "test"]
    assert train["label"].tolist() == list(range(num_classes))
    assert test["label"].tolist() == list(range(num_classes))
    assert set(index["dataset"]) == {f"affectnet{num_classes}"}
    assert train["path"].iloc[3] == str(root / "train_set/images/3.jpg")
    assert train["valence"].tolist() == pytest.approx([0.1 * k for k in range(num_classes)])
    assert set(test["arousal"]) == {0.5}
    data = BenchmarkImages(index, lambda x: x, num_classes=num_classes)
    assert data[1]["image"].shape == (3, 32, 32)  # the release's faces are already cropped


def test_npy_numbering_is_numeric_and_valence_files_are_optional(tmp_path: Path):
    splits = {"train_set": [(k % 7, 0.0, 0.0) for k in range(12)], "val_set": [(1, 0.0, 0.0)]}
    root = write_affectnet_npy(tmp_path / "affectnet", splits, value_files=False)
    index = read_benchmark("affectnet", root)
    names = [Path(p).name for p in index.loc[index["split"] == "train", "path"]]
    assert names == [f"{k}.jpg" for k in range(12)]  # 2.jpg before 10.jpg
    assert index["valence"].isna().all() and index["arousal"].isna().all()


def test_npy_errors_name_the_file(tmp_path: Path):
    root = write_affectnet_npy(tmp_path / "affectnet", NPY_SPLITS)
    np.save(root / "train_set/annotations/4_exp.npy", np.array("happy"))
    with pytest.raises(BenchmarkFormatError, match=r"4_exp\.npy: expression = 'happy'"):
        read_benchmark("affectnet", root)
    np.save(root / "train_set/annotations/4_exp.npy", np.array([1, 2]))
    with pytest.raises(BenchmarkFormatError, match=r"4_exp\.npy holds \(2,\) values, not one"):
        read_benchmark("affectnet", root)
    np.save(root / "train_set/annotations/4_exp.npy", np.array("4"))
    (root / "val_set/images/2.jpg").unlink()
    with pytest.raises(FileNotFoundError, match=r"val_set/images/2\.jpg named at .*2_exp\.npy"):
        read_benchmark("affectnet", root)
    shutil.rmtree(root / "val_set")
    with pytest.raises(FileNotFoundError, match=r"val_set lacks images/ or annotations/"):
        read_benchmark("affectnet", root)


@pytest.mark.parametrize(
    "images",
    [
        "Manually_Annotated_Images",
        "Manually_Annotated_compressed/Manually_Annotated_Images",  # as the zip unpacks
        "Manually_Annotated/Manually_Annotated_Images",  # as the rar parts unpack
    ],
)
@pytest.mark.parametrize("level", [".", ".."], ids=["the layout's folder", "the folder above"])
def test_lists_with_images_as_unpacked_at_either_level(tmp_path: Path, images: str, level: str):
    root = write_affectnet(tmp_path / "affectnet/AffectNet", TRAINING, VALIDATION, images=images)
    index = read_benchmark("affectnet", (root / level).resolve())
    assert len(index) == 14
    assert index["path"].iloc[1] == str(root / images / "1/img1.jpg")


@pytest.mark.parametrize("level", [".", ".."], ids=["the layout's folder", "the folder above"])
def test_the_npy_release_at_either_level(tmp_path: Path, level: str):
    root = write_affectnet_npy(tmp_path / "affectnet/AffectNet", NPY_SPLITS)
    index = read_benchmark("affectnet", (root / level).resolve())
    assert index["path"].iloc[0] == str(root / "train_set/images/0.jpg")


def test_nothing_in_place_names_the_path_and_both_layouts_places(tmp_path: Path):
    root = tmp_path / "affectnet"
    with pytest.raises(FileNotFoundError) as raised:
        read_benchmark("affectnet", root)
    assert str(raised.value) == (
        f"no AffectNet found at {root} (looked for {root}/Manually_Annotated_file_lists, "
        f"{root}/train_set and {root}/val_set); put AffectNet's Manually_Annotated_file_lists/ "
        "and Manually_Annotated_compressed/ folders (as its archives unpack), or its train_set/ "
        "and val_set/, there — see docs/data-formats.md"
    )


def test_a_wrong_layout_names_the_layouts_known(tmp_path: Path):
    write_image(tmp_path / "affectnet/train/happy/a.jpg")
    with pytest.raises(MissingInputError) as raised:
        read_benchmark("affectnet", tmp_path / "affectnet")
    message = str(raised.value)
    assert "affectnet does not hold AffectNet in a layout this reader knows" in message
    assert "Known layouts: (1) Manually_Annotated_file_lists/{training,validation}.csv" in message
    assert "(2) train_set/ and val_set/, each with images/<n>.jpg" in message
    assert "(3) a copy in <split>/<class id 0..7>/ folders is read as format image_fol" in message


def test_a_path_inside_the_layout_says_to_name_the_folder_above(tmp_path: Path):
    root = write_affectnet_npy(tmp_path / "affectnet", NPY_SPLITS)
    with pytest.raises(MissingInputError, match=r"To fix: set path to the folder that holds tr"):
        read_benchmark("affectnet", root / "train_set")


def test_lists_without_their_images_name_the_places_looked(tmp_path: Path):
    root = write_affectnet(tmp_path / "affectnet", TRAINING, VALIDATION)
    shutil.rmtree(root / "Manually_Annotated_Images")
    with pytest.raises(
        MissingInputError,
        match=r"lists are at .* but not its images \(looked for .*/Manually_Annotated_Images, "
        r".*/Manually_Annotated_compressed/Manually_Annotated_Images and "
        r".*/Manually_Annotated/Manually_Annotated_Images\); unpack the images archive in ",
    ):
        read_benchmark("affectnet", root)
