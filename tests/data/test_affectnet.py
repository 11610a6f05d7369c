"""AffectNet: canonical labels as given, 8-10 dropped and counted, face boxes kept and cropped."""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from rmfer.data import BenchmarkFormatError, read_benchmark
from rmfer.data.dataset import BenchmarkImages
from tests.data.layouts import affectnet_row, write_affectnet, write_image

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
