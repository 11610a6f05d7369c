"""predict on a real photo (scikit-image's astronaut) and on a folder of images."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from skimage import data as skimage_data  # the `test` extra installs scikit-image

from rmfer.predict import DONE, PredictOptions, load_model, predict
from rmfer.predict.table import prob_column

# The astronaut's face in the 512x512 photo, by eye: forehead to chin, ear to ear.
FACE = (170, 50, 280, 185)  # x1, y1, x2, y2


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("photos")
    Image.fromarray(skimage_data.astronaut()).save(folder / "astronaut.jpg", quality=95)
    Image.fromarray(skimage_data.coffee()).save(folder / "coffee.png")  # a cup, no face
    (folder / "notes.txt").write_text("not an image")  # skipped: a folder is filtered by suffix
    return folder


@pytest.fixture(scope="module")
def folder_run(photos, untrained_model, facetrack_params, tmp_path_factory):
    out = tmp_path_factory.mktemp("predict_images")
    model = load_model(untrained_model, "cpu")
    options = PredictOptions(out, progress=False)
    lines: list[str] = []
    results = predict([photos], model, facetrack_params, options, echo=lines.append)
    return results, model, out, lines


def test_astronaut_gives_one_face_with_probabilities_summing_to_one(folder_run):
    results, model, out, lines = folder_run
    by_name = {r.path.name: r for r in results}
    assert sorted(by_name) == ["astronaut.jpg", "coffee.png"]  # notes.txt is not an input
    assert by_name["astronaut.jpg"].status == DONE
    table = pd.read_csv(out / "astronaut.csv")
    assert len(table) == 1
    row = table.iloc[0]
    probs = row[[prob_column(label) for label in model.labels]].to_numpy(float)
    assert abs(probs.sum() - 1) < 1e-4 and (probs >= 0).all()
    assert row["label"] == model.labels[int(probs.argmax())]
    assert (row["frame_idx"], row["time_s"], row["person_id"]) == (0, 0.0, 0)
    assert row["quality"] == "ok"  # a frontal, sharp, large face
    # the box is on the face: its centre inside the face, its size a face's
    cx, cy = (row["x1"] + row["x2"]) / 2, (row["y1"] + row["y2"]) / 2
    assert FACE[0] < cx < FACE[2] and FACE[1] < cy < FACE[3], row
    assert 60 < row["x2"] - row["x1"] < 160, row
    assert pd.read_parquet(out / "astronaut.parquet").shape == table.shape
    assert any(line.startswith("astronaut.jpg (image): 1 face, 1 person;") for line in lines)


def test_annotated_image_shows_the_box(photos, folder_run):
    results, _, out, _ = folder_run
    row = next(r for r in results if r.path.name == "astronaut.jpg").table.iloc[0]
    with Image.open(out / "astronaut.annotated.png") as image:
        drawn = np.asarray(image.convert("RGB")).astype(int)
    with Image.open(photos / "astronaut.jpg") as image:
        original = np.asarray(image.convert("RGB")).astype(int)
    assert drawn.shape == original.shape
    x1, y1, x2, y2 = (round(row[c]) for c in ("x1", "y1", "x2", "y2"))
    left_edge = np.abs(drawn[y1 + 5 : y2 - 5, x1] - original[y1 + 5 : y2 - 5, x1]).mean()
    assert left_edge > 30
    face = (slice(y1 + 30, y2 - 10), slice(x1 + 10, x2 - 10))
    inside = np.abs(drawn[face] - original[face]).mean()
    assert inside < 1  # the face itself is left as it was


def test_image_without_a_face_gives_an_empty_table(folder_run):
    results, model, out, lines = folder_run
    coffee = next(r for r in results if r.path.name == "coffee.png")
    assert coffee.status == DONE
    table = pd.read_parquet(out / "coffee.parquet")
    assert len(table) == 0
    assert prob_column(model.labels[0]) in table.columns and "label" in table.columns
    assert "coffee.png (image): 0 faces; no face found" in lines
