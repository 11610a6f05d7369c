"""FERPlus: majority vote to canonical ids, the documented drops, soft labels, pixel decoding."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from rmfer.data import BenchmarkFormatError, read_benchmark
from rmfer.data.dataset import BenchmarkImages
from tests.data.layouts import write_ferplus

# fer2013new.csv vote columns, in file order, and their canonical ids (docs/data-formats.md)
COLUMN_TO_CANONICAL = {0: 0, 1: 1, 2: 3, 3: 2, 4: 6, 5: 5, 6: 4, 7: 7}


def votes(winner: int, count: int = 7) -> list[int]:
    counts = [0] * 10
    counts[winner] = count
    counts[(winner + 1) % 8] += 10 - count
    return counts


ROWS = [("Training", f"fer{k:07d}.png", votes(k)) for k in range(8)] + [
    ("PublicTest", "fer0000100.png", votes(1)),
    ("PrivateTest", "fer0000101.png", votes(2)),
    ("Training", "", votes(3)),  # removed by FERPlus
    ("Training", "fer0000102.png", [3, 0, 0, 0, 0, 0, 0, 0, 5, 2]),  # unknown wins
    ("Training", "fer0000103.png", [2, 0, 0, 0, 0, 0, 0, 0, 1, 7]),  # NF wins
    ("Training", "fer0000104.png", [4, 0, 0, 0, 0, 0, 0, 0, 4, 2]),  # tie with unknown
    ("PrivateTest", "fer0000105.png", [0, 4, 4, 0, 0, 0, 0, 0, 2, 0]),  # tie: lower canonical id
]


def test_majority_labels_splits_and_counted_drops(tmp_path: Path, caplog):
    root = write_ferplus(tmp_path / "ferplus", ROWS)
    with caplog.at_level(logging.INFO):
        index = read_benchmark("ferplus", root)
    train = index[index["split"] == "train"]
    assert train["label"].tolist() == [COLUMN_TO_CANONICAL[k] for k in range(8)]
    assert train["csv_row"].tolist() == list(range(8))
    assert index.loc[index["split"] == "validation", "label"].tolist() == [1]
    assert index.loc[index["split"] == "test", "label"].tolist() == [3, 1]  # surprise; happiness
    assert index.loc[index["split"] == "test", "csv_row"].tolist() == [9, 14]
    assert set(index["path"]) == {str(root / "fer2013.csv")}
    assert index["image_name"].iloc[0] == "fer0000000.png"
    assert (
        "11 images (train 8, validation 1, test 2); dropped 1 removed by FERPlus, "
        "2 won by unknown, 1 won by NF (not a face)" in caplog.text
    )


def test_seven_classes_drop_contempt(tmp_path: Path, caplog):
    root = write_ferplus(tmp_path / "ferplus", ROWS)
    with caplog.at_level(logging.INFO):
        index = read_benchmark("ferplus", root, num_classes=7)
    assert 7 not in set(index["label"])
    assert "1 Contempt (7-class setting)" in caplog.text


def test_soft_labels_are_the_vote_distribution_in_canonical_order(tmp_path: Path):
    root = write_ferplus(tmp_path / "ferplus", ROWS)
    index = read_benchmark("ferplus", root, soft_labels=True)
    soft = index[[c for c in index.columns if c.startswith("soft_")]]
    assert list(soft.columns) == [
        "soft_neutral", "soft_happiness", "soft_sadness", "soft_surprise",
        "soft_fear", "soft_disgust", "soft_anger", "soft_contempt",
    ]  # fmt: skip
    np.testing.assert_allclose(soft.sum(axis=1), 1.0)
    first = soft.iloc[0].to_numpy()  # 7 neutral votes, 3 happiness
    np.testing.assert_allclose(first, [0.7, 0.3, 0, 0, 0, 0, 0, 0])
    surprise = soft.iloc[2].to_numpy()  # column 2 (surprise) 7 votes, column 3 (sadness) 3
    np.testing.assert_allclose(surprise, [0, 0, 0.3, 0.7, 0, 0, 0, 0])


def test_soft_labels_only_for_ferplus(tmp_path: Path):
    with pytest.raises(ValueError, match="soft_labels exist only for ferplus"):
        read_benchmark("rafdb", tmp_path, soft_labels=True)


def test_pixels_decode_to_three_equal_channels(tmp_path: Path):
    root = write_ferplus(tmp_path / "ferplus", ROWS[:3], pixel_values=[7, 99, 250])
    index = read_benchmark("ferplus", root, soft_labels=True)
    data = BenchmarkImages(index, lambda x: x, num_classes=8, soft_labels=True)
    item = data[1]
    assert item["image"].shape == (3, 48, 48)
    assert item["image"].unique().tolist() == [99]
    assert item["label"].item() == 1
    assert item["soft_label"].sum().item() == pytest.approx(1.0)


def _break(root: Path, file: str, line: int, old: str, new: str) -> None:
    path = root / file
    lines = path.read_text().splitlines()
    assert old in lines[line - 1]
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    path.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize(
    ("file", "line", "old", "new", "message"),
    [
        ("fer2013.csv", 3, " 10 ", " ", r"fer2013\.csv, line 3: pixels must be 2304"),
        (
            "fer2013new.csv",
            4,
            ",7,",
            ",seven,",
            r"fer2013new\.csv, line 4: votes .* not all integers",
        ),
        ("fer2013new.csv", 4, ",7,", ",-7,", r"fer2013new\.csv, line 4: votes .* negative"),
        ("fer2013new.csv", 2, "Training", "Train", r"fer2013new\.csv, line 2: Usage 'Train'"),
        ("fer2013.csv", 5, "Training", "PublicTest", r"fer2013\.csv, line 5: Usage .* out of step"),
        (
            "fer2013new.csv",
            3,
            ",0,0,0,0,0,0,0",
            ",0,0,0,0,0,0",
            r"fer2013new\.csv, line 3: expected 12",
        ),
    ],
)
def test_malformed_lines_name_file_and_line(tmp_path, file, line, old, new, message):
    root = write_ferplus(tmp_path / "ferplus", ROWS[:6], pixel_values=[10] * 6)
    _break(root, file, line, old, new)
    with pytest.raises(BenchmarkFormatError, match=message):
        read_benchmark("ferplus", root)


def test_pixel_out_of_range_is_named_when_decoded(tmp_path: Path):
    root = write_ferplus(tmp_path / "ferplus", ROWS[:3], pixel_values=[10, 10, 10])
    _break(root, "fer2013.csv", 3, "10 10", "10 300")
    data = BenchmarkImages(read_benchmark("ferplus", root), lambda x: x, num_classes=8)
    with pytest.raises(
        BenchmarkFormatError,
        match=r"fer2013\.csv, line 3: pixels must be 2304 integers in 0\.\.255",
    ):
        data[1]


def test_files_out_of_step_and_missing(tmp_path: Path):
    root = write_ferplus(tmp_path / "ferplus", ROWS[:4])
    lines = (root / "fer2013new.csv").read_text().splitlines()
    (root / "fer2013new.csv").write_text("\n".join(lines[:-1]) + "\n")
    with pytest.raises(BenchmarkFormatError, match=r"has 4 data rows but .*fer2013new\.csv has 3"):
        read_benchmark("ferplus", root)
    (root / "fer2013.csv").unlink()
    with pytest.raises(
        FileNotFoundError,
        match=r"fer2013\.csv not found at .*ferplus \(looked for .*ferplus/fer2013/fer2013\.csv "
        r"and .*ferplus/fer2013\.csv\); put FER2013's fer2013\.csv",
    ):
        read_benchmark("ferplus", root)


@pytest.mark.parametrize(
    ("votes_at", "pixels_folder", "path"),
    [
        ("ferplus", ".", "ferplus"),  # both files side by side
        ("ferplus", "fer2013", "ferplus"),  # FER2013's archive unpacked beside fer2013new.csv
        ("ferplus/fer2013", ".", "ferplus"),  # fer2013new.csv put in fer2013/, path above it
        ("ferplus/fer2013", ".", "ferplus/fer2013"),  # ... and path the archive's folder
    ],
)
def test_the_archives_folder_or_the_folder_above(
    tmp_path: Path, votes_at: str, pixels_folder: str, path: str
):
    write_ferplus(tmp_path / votes_at, ROWS, pixels_folder=pixels_folder)
    index = read_benchmark("ferplus", tmp_path / path)
    assert len(index) == 11
    assert set(index["path"]) == {str(tmp_path / votes_at / pixels_folder / "fer2013.csv")}


def test_nothing_in_place_names_the_path_and_the_places_looked(tmp_path: Path):
    root = tmp_path / "ferplus"
    with pytest.raises(FileNotFoundError) as raised:
        read_benchmark("ferplus", root)
    assert str(raised.value) == (
        f"no FERPlus found at {root} (looked for {root}/fer2013/fer2013.csv, {root}/fer2013.csv, "
        f"{root}/fer2013/fer2013new.csv and {root}/fer2013new.csv); put FER2013's fer2013.csv (or "
        "the fer2013/ folder its archive unpacks to) and FERPlus's fer2013new.csv there — see "
        "docs/data-formats.md"
    )


def test_a_wrong_layout_names_the_layouts_known(tmp_path: Path):
    (tmp_path / "ferplus/FER2013Train").mkdir(parents=True)  # what FERPlus's script generates
    with pytest.raises(FileNotFoundError) as raised:
        read_benchmark("ferplus", tmp_path / "ferplus")
    message = str(raised.value)
    assert "ferplus does not hold FERPlus in a layout this reader knows" in message
    assert "Known layouts: (1) FER2013's fer2013.csv (emotion,pixels,Usage) and FERPlus" in message
    assert "(2) the FER2013Train/, FER2013Valid/, FER2013Test/ folders that FERPlus's" in message
    assert "(3) a copy in <split>/<class name>/ image folders" in message
