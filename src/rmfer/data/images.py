"""Decode one benchmark image as RGB, whatever its provider stores (file, face box, CSV pixels)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from PIL import Image, UnidentifiedImageError

from rmfer.data.ferplus import IMAGE_SIDE
from rmfer.data.index import BOX_COLUMNS, CSV_ROW_COLUMN, BenchmarkFormatError
from rmfer.errors import MissingInputError


def read_rgb(path: str) -> np.ndarray:
    """The whole image as (H, W, 3) uint8; a missing or broken file names itself."""
    try:
        with Image.open(path) as image:
            return np.array(image.convert("RGB"))
    except FileNotFoundError:
        raise MissingInputError(f"image {path} does not exist") from None
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        raise BenchmarkFormatError(f"image {path} cannot be decoded: {error}") from None


def crop_box(image: np.ndarray, box: tuple[int, int, int, int], path: str) -> np.ndarray:
    """The face box (x, y, width, height), clipped: AffectNet images are not cropped."""
    x, y, width, height = box
    height_px, width_px = image.shape[:2]
    left, top = max(x, 0), max(y, 0)
    right, bottom = min(x + width, width_px), min(y + height, height_px)
    if right <= left or bottom <= top:
        raise BenchmarkFormatError(
            f"image {path}: face box {box} lies outside the {width_px}x{height_px} image"
        )
    return image[top:bottom, left:right]


class PixelTable:
    """FER2013's pixel strings, read once per CSV file and decoded per image."""

    def __init__(self) -> None:
        self._columns: dict[str, pd.Series] = {}

    def rgb(self, path: str, row: int) -> np.ndarray:
        if path not in self._columns:
            self._columns[path] = pd.read_csv(path, usecols=["pixels"], dtype=str)["pixels"]
        text = self._columns[path].iloc[row]
        line = row + 2  # the header is line 1
        try:
            values = np.array(text.split(), dtype=np.int64)
        except ValueError:
            raise BenchmarkFormatError(
                f"{path}, line {line}: pixels are not all integers"
            ) from None
        if values.size != IMAGE_SIDE * IMAGE_SIDE or values.min() < 0 or values.max() > 255:
            raise BenchmarkFormatError(
                f"{path}, line {line}: pixels must be {IMAGE_SIDE * IMAGE_SIDE} integers in 0..255"
            )
        grey = values.astype(np.uint8).reshape(IMAGE_SIDE, IMAGE_SIDE)
        return np.repeat(grey[:, :, None], 3, axis=2)


def load_record(record: dict, pixels: PixelTable) -> np.ndarray:
    """The face of one index row: FERPlus pixels, an AffectNet box crop, or the whole file."""
    if pd.notna(record.get(CSV_ROW_COLUMN, np.nan)):
        return pixels.rgb(record["path"], int(record[CSV_ROW_COLUMN]))
    image = read_rgb(record["path"])
    if all(pd.notna(record.get(column, np.nan)) for column in BOX_COLUMNS):
        box = tuple(int(record[column]) for column in BOX_COLUMNS)
        return crop_box(image, box, record["path"])  # type: ignore[arg-type]
    return image
