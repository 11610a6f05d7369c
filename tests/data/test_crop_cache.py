"""The benchmark-face crop cache: the same faces as decoding, a stale cache never read."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from rmfer.data import read_benchmark
from rmfer.data.crop_cache import open_crop_cache
from rmfer.data.dataset import BenchmarkImages
from rmfer.data.images import PixelTable, load_record
from rmfer.data.transforms import eval_transform, face_resize
from rmfer.errors import MissingInputError
from tests.data.layouts import write_ferplus
from tests.data.test_ferplus import ROWS

MEAN, STD = (0.5, 0.5, 0.5), (0.25, 0.25, 0.25)


def write_photos(root: Path, count: int = 12, seed: int = 0) -> pd.DataFrame:
    """Noise photos of varied sizes (PNG, lossless); every other row with a face box."""
    rng = np.random.default_rng(seed)
    rows = []
    for k in range(count):
        height, width = int(rng.integers(30, 90)), int(rng.integers(30, 90))
        path = root / f"photo_{k}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8)).save(path)
        box = (3, 2, width - 8, height - 5) if k % 2 else (np.nan,) * 4
        rows.append(
            {
                "path": str(path),
                "label": k % 7,
                "split": "train" if k < 9 else "test",
                "dataset": "toy",
                **dict(zip(("face_x", "face_y", "face_width", "face_height"), box, strict=True)),
            }
        )
    return pd.DataFrame(rows)


def test_cached_faces_equal_decoded_faces_resized(tmp_path):
    index = write_photos(tmp_path / "photos")
    size = 20
    crops = open_crop_cache(index, size, tmp_path / "cache", workers=0)
    assert crops is not None and len(crops) == len(index)
    for rows in (index, index[index["split"] == "test"], index.iloc[[7, 2, 5]]):
        plain = BenchmarkImages(rows, lambda image: image, 7)
        cached = BenchmarkImages(rows, lambda image: image, 7, crops=crops)
        records = rows.to_dict("records")
        for k in range(len(rows)):
            # Independently: PIL's decode, the box cut, torchvision's resize.
            face = torch.from_numpy(load_record(records[k], PixelTable())).permute(2, 0, 1)
            expected = face_resize(size)(face)
            assert torch.equal(cached[k]["image"], expected)
            assert cached[k]["image"].dtype == torch.uint8
            assert torch.equal(face_resize(size)(plain[k]["image"]), cached[k]["image"])
            assert cached[k]["label"] == plain[k]["label"]
    # Evaluation inputs are the same tensors with and without the cache.
    tf = eval_transform(size, MEAN, STD)
    plain, cached = BenchmarkImages(index, tf, 7), BenchmarkImages(index, tf, 7, crops=crops)
    for k in range(len(index)):
        assert torch.equal(plain[k]["image"], cached[k]["image"])


def test_a_ready_cache_is_read_and_a_stale_one_is_not(tmp_path, caplog):
    index = write_photos(tmp_path / "photos", count=6)
    folder = tmp_path / "cache"
    first = open_crop_cache(index, 16, folder, workers=0)
    assert first is not None
    made = first.path.stat().st_mtime_ns
    with caplog.at_level(logging.INFO):
        again = open_crop_cache(index, 16, folder, workers=0)
    assert again is not None and again.path == first.path
    assert again.path.stat().st_mtime_ns == made and "ready crops" in caplog.text

    other_size = open_crop_cache(index, 24, folder, workers=0)
    moved = index.assign(face_x=index["face_x"].where(index["face_x"].isna(), 4.0))
    other_box = open_crop_cache(moved, 16, folder, workers=0)
    # An image rewritten (new content, new time) makes the cache stale too.
    photo = Path(index.loc[0, "path"])
    Image.fromarray(np.zeros((40, 40, 3), np.uint8)).save(photo)
    os.utime(photo, ns=(made + 10**9, made + 10**9))
    other_image = open_crop_cache(index, 16, folder, workers=0)
    paths = {c.path for c in (first, other_size, other_box, other_image) if c is not None}
    assert len(paths) == 4 and all(path.is_file() for path in paths)
    assert other_image is not None and not other_image.crop(0).any()  # the black rewrite
    assert first.crop(0).any()  # the stale file is left as it was
    # Labels and splits do not pick a face: relabelling keeps the cache.
    relabelled = open_crop_cache(index.assign(label=0, split="test"), 16, folder, workers=0)
    assert relabelled is not None and relabelled.path == other_image.path
    assert open_crop_cache(index, 16, None, workers=0) is None


def test_a_broken_cache_file_is_made_again_and_workers_build_the_same(tmp_path):
    index = write_photos(tmp_path / "photos", count=10)
    alone = open_crop_cache(index, 16, tmp_path / "a", workers=0)
    assert alone is not None
    alone.path.write_bytes(alone.path.read_bytes()[:-100])  # truncated: not complete
    remade = open_crop_cache(index, 16, tmp_path / "a", workers=0)
    in_workers = open_crop_cache(index, 16, tmp_path / "b", workers=2)
    assert remade is not None and in_workers is not None
    assert np.array_equal(np.load(remade.path), np.load(in_workers.path))
    assert not list((tmp_path / "a").glob(".*partial"))


def test_a_missing_image_is_named(tmp_path):
    index = write_photos(tmp_path / "photos", count=3)
    Path(index.loc[1, "path"]).unlink()
    with pytest.raises(MissingInputError, match=r"photo_1.png does not exist"):
        open_crop_cache(index, 16, tmp_path / "cache", workers=0)


def test_ferplus_rows_of_one_csv_file_are_cached_apart(tmp_path):
    root = write_ferplus(tmp_path / "ferplus", ROWS[:3], pixel_values=[7, 99, 250])
    index = read_benchmark("ferplus", root)
    crops = open_crop_cache(index, 12, tmp_path / "cache", workers=0)
    cached = BenchmarkImages(index, lambda image: image, 8, crops=crops)
    assert [cached[k]["image"].unique().tolist() for k in range(3)] == [[7], [99], [250]]
