"""Tiny benchmarks in each provider's exact layout (docs/data-formats.md), for the reader tests."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

AFFECTNET_HEADER = (
    "subDirectory_filePath,face_x,face_y,face_width,face_height,facial_landmarks,"
    "expression,valence,arousal"
)
FERPLUS_VOTES_HEADER = (
    "Usage,Image name,neutral,happiness,surprise,sadness,anger,disgust,fear,contempt,unknown,NF"
)


def write_image(path: Path, size: tuple[int, int] = (24, 24), value: int = 128) -> Path:
    """A small JPEG or PNG (by suffix) filled with `value`, so tests can tell images apart."""
    path.parent.mkdir(parents=True, exist_ok=True)
    image = np.full((size[1], size[0], 3), value, dtype=np.uint8)
    assert cv2.imwrite(str(path), image)
    return path


def write_rafdb(root: Path, lines: list[str], images: bool = True) -> Path:
    """basic/EmoLabel/list_patition_label.txt and both image variants of every listed name."""
    (root / "EmoLabel").mkdir(parents=True, exist_ok=True)
    (root / "EmoLabel/list_patition_label.txt").write_text("".join(f"{line}\n" for line in lines))
    if images:
        for line in lines:
            name = line.split()[0]
            stem, suffix = name.rsplit(".", 1)
            write_image(root / "Image/original" / name, (40, 40))
            write_image(root / "Image/aligned" / f"{stem}_aligned.{suffix}")
    return root


def affectnet_row(
    path: str, expression: int, box: tuple[int, int, int, int] = (4, 6, 20, 16)
) -> str:
    landmarks = ";".join(["10.5"] * 136)
    return f"{path},{box[0]},{box[1]},{box[2]},{box[3]},{landmarks},{expression},0.1,-0.2"


def write_affectnet(
    root: Path,
    training: list[str],
    validation: list[str],
    header: bool = True,
    images: str = "Manually_Annotated_Images",
) -> Path:
    """The two CSV lists and an uncropped 48x40 image for every listed path.

    `header` False writes the lists as some copies share them: data from the first line.
    `images` is where the images archive left them, e.g. inside Manually_Annotated_compressed/.
    """
    lists = root / "Manually_Annotated_file_lists"
    lists.mkdir(parents=True, exist_ok=True)
    for name, rows in (("training.csv", training), ("validation.csv", validation)):
        lines = [AFFECTNET_HEADER, *rows] if header else rows
        (lists / name).write_text("\n".join(lines) + "\n")
        for row in rows:
            write_image(root / images / row.split(",")[0], (48, 40))
    return root


def write_affectnet_npy(
    root: Path, splits: dict[str, list[tuple[int, float, float]]], value_files: bool = True
) -> Path:
    """AffectNet's newer release: <split>/images/<n>.jpg and <split>/annotations/<n>_*.npy.

    `splits` maps train_set / val_set to (expression, valence, arousal) per image, numbered
    from 0 in each split. As in the release, each annotation is a 0-d array of text, and the
    landmarks file is there too; `value_files` False leaves out valence and arousal.
    """
    for split, images in splits.items():
        annotations = root / split / "annotations"
        annotations.mkdir(parents=True, exist_ok=True)
        for number, (expression, valence, arousal) in enumerate(images):
            write_image(root / split / "images" / f"{number}.jpg", (32, 32), 20 * number % 256)
            np.save(annotations / f"{number}_exp.npy", np.array(str(expression)))
            np.save(annotations / f"{number}_lnd.npy", np.full(136, 10.5, dtype=np.float32))
            if value_files:
                np.save(annotations / f"{number}_val.npy", np.array(str(valence)))
                np.save(annotations / f"{number}_aro.npy", np.array(str(arousal)))
    return root


def pixels_text(value: int) -> str:
    return " ".join([str(value)] * 48 * 48)


def write_ferplus(
    root: Path,
    rows: list[tuple[str, str, list[int]]],
    pixel_values: list[int] | None = None,
    pixels_folder: str = ".",
) -> Path:
    """fer2013.csv and fer2013new.csv for rows (usage, image name, ten vote counts).

    `pixels_folder` "fer2013" puts fer2013.csv where FER2013's archive unpacks it, in fer2013/.
    """
    (root / pixels_folder).mkdir(parents=True, exist_ok=True)
    values = pixel_values or [10 * k % 256 for k in range(len(rows))]
    pixels = ["emotion,pixels,Usage"] + [
        f"0,{pixels_text(v)},{usage}" for v, (usage, _, _) in zip(values, rows, strict=True)
    ]
    votes = [FERPLUS_VOTES_HEADER] + [
        f"{usage},{name},{','.join(str(c) for c in counts)}" for usage, name, counts in rows
    ]
    (root / pixels_folder / "fer2013.csv").write_text("\n".join(pixels) + "\n")
    (root / "fer2013new.csv").write_text("\n".join(votes) + "\n")
    return root
