"""RAF-DB basic: label mapping, splits from names, and clear errors on bad input."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from rmfer.data import BenchmarkFormatError, read_benchmark
from rmfer.errors import MissingInputError
from tests.data.layouts import write_image, write_rafdb

# docs/data-formats.md: 1 Surprise, 2 Fear, 3 Disgust, 4 Happiness, 5 Sadness, 6 Anger, 7 Neutral
LABEL = "EmoLabel/list_patition_label.txt"
DOC = "docs/data-formats.md"
EXPECTED = {1: 3, 2: 4, 3: 5, 4: 1, 5: 2, 6: 6, 7: 0}
LINES = [f"train_{k:05d}.jpg {k}" for k in range(1, 8)] + [
    f"test_{k:04d}.jpg {8 - k}" for k in range(1, 8)
]


def test_labels_map_to_canonical_ids_and_names_give_the_split(tmp_path: Path):
    root = write_rafdb(tmp_path / "basic", LINES)
    index = read_benchmark("rafdb", root)
    assert list(index.columns) == ["path", "label", "split", "dataset"]
    assert len(index) == 14 and set(index["dataset"]) == {"rafdb"}
    for row, line in zip(index.itertuples(), LINES, strict=True):
        name, raw = line.split()
        assert row.label == EXPECTED[int(raw)]
        assert row.split == name.split("_")[0]
        assert row.path == str(root / "Image/aligned" / name.replace(".jpg", "_aligned.jpg"))
    assert sorted(index.loc[index["split"] == "train", "label"]) == list(range(7))


@pytest.mark.parametrize("level", ["basic", "."], ids=["basic", "the folder above"])
def test_the_archives_folder_or_the_folder_above(tmp_path: Path, level: str):
    root = write_rafdb(tmp_path / "rafdb/basic", LINES)  # RAF-DB's archive unpacks to basic/
    index = read_benchmark("rafdb", tmp_path / "rafdb" / level, rafdb_images="original")
    assert len(index) == 14
    assert index["path"].iloc[0] == str(root / "Image/original/train_00001.jpg")


def test_nothing_in_place_names_the_path_both_places_and_what_to_put(tmp_path: Path):
    root = tmp_path / "rafdb"
    expected = (
        f"no RAF-DB found at {root} (looked for {root}/basic/{LABEL} and {root}/{LABEL}); "
        f"put the archive's basic/ folder there — see {DOC}"
    )
    for state in ("absent", "empty"):
        with pytest.raises(FileNotFoundError) as raised:
            read_benchmark("rafdb", root)
        assert str(raised.value) == expected, state
        root.mkdir(exist_ok=True)
        (root / ".gitkeep").touch()  # hidden files do not count as something in place
    with pytest.raises(FileNotFoundError, match=rf"looked for {tmp_path}/basic/{LABEL}\)"):
        read_benchmark("rafdb", tmp_path / "basic")  # the path names basic/: only there


def test_a_wrong_layout_names_the_layouts_known(tmp_path: Path):
    write_image(tmp_path / "rafdb/train/4/a.jpg")  # a copy in class-id folders
    with pytest.raises(MissingInputError) as raised:
        read_benchmark("rafdb", tmp_path / "rafdb")
    message = str(raised.value)
    assert f"{tmp_path}/rafdb does not hold RAF-DB in a layout this reader knows" in message
    assert "Known layouts: (1) basic/EmoLabel/list_patition_label.txt with basic/Image/" in message
    assert "(2) a copy in <split>/<class id 1..7>/ folders is read as format image_fol" in message
    assert message.endswith(f"To fix: put the archive's basic/ folder there — see {DOC}")


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        ("train_00009.jpg", r"line 2: expected '<image name> <label 1\.\.7>'"),
        ("train_00009.jpg 3 extra", r"line 2: expected"),
        ("train_00009.jpg 8", r"line 2: label '8' of train_00009\.jpg is not in 1\.\.7"),
        ("train_00009.jpg 0", r"line 2: label '0'"),
        ("train_00009.jpg happy", r"line 2: label 'happy'"),
        ("val_0001.jpg 3", r"line 2: image name 'val_0001\.jpg' starts with neither"),
        ("train_00001.jpg 3", r"line 2: train_00001\.jpg is listed again \(first on line 1\)"),
    ],
)
def test_malformed_lines_name_the_file_and_line(tmp_path: Path, bad_line: str, message: str):
    root = write_rafdb(tmp_path / "basic", ["train_00001.jpg 1"])
    label_file = root / "EmoLabel/list_patition_label.txt"
    label_file.write_text(f"train_00001.jpg 1\n{bad_line}\ntest_0001.jpg 2\n")
    with pytest.raises(BenchmarkFormatError, match=f"list_patition_label.txt, {message}"):
        read_benchmark("rafdb", root)


def test_missing_image_names_the_image_and_the_label_line(tmp_path: Path):
    root = write_rafdb(tmp_path / "basic", LINES)
    (root / "Image/aligned/test_0003_aligned.jpg").unlink()
    with pytest.raises(
        FileNotFoundError, match=r"test_0003_aligned\.jpg .*list_patition_label\.txt, line 10"
    ):
        read_benchmark("rafdb", root)


def test_empty_image_file_is_an_error(tmp_path: Path):
    root = write_rafdb(tmp_path / "basic", LINES)
    (root / "Image/aligned/train_00002_aligned.jpg").write_bytes(b"")
    with pytest.raises(BenchmarkFormatError, match=r"train_00002_aligned\.jpg .*line 2 is empty"):
        read_benchmark("rafdb", root)


def test_empty_class_warns_with_split_and_class(tmp_path: Path, caplog):
    lines = [line for line in LINES if line != "test_0001.jpg 7"]  # no Neutral in test
    root = write_rafdb(tmp_path / "basic", lines)
    with caplog.at_level(logging.WARNING):
        index = read_benchmark("rafdb", root)
    assert len(index) == 13
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [f"RAF-DB {root}: split 'test' has no image of class Neutral (id 0)"]


def test_summary_line_counts_the_splits(tmp_path: Path, caplog):
    root = write_rafdb(tmp_path / "basic", LINES)
    with caplog.at_level(logging.INFO):
        read_benchmark("rafdb", root)
    assert f"RAF-DB {root}: 14 images (train 7, test 7)" in caplog.text


def test_rafdb_has_seven_classes_only(tmp_path: Path):
    root = write_rafdb(tmp_path / "basic", LINES)
    with pytest.raises(ValueError, match="7 classes"):
        read_benchmark("rafdb", root, num_classes=8)
