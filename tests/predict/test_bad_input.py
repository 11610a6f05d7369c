"""Clear errors: unusable model files stop before any work; bad inputs fail alone."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import torch
from click.testing import CliRunner
from PIL import Image

from rmfer.cli import rmfer
from rmfer.labels import label_names
from rmfer.predict import DONE, FAILED, ModelError, PredictOptions, find_inputs, load_model, predict
from tests.predict.conftest import untrained_checkpoint


def save(tmp_path: Path, checkpoint: object, name: str = "model.pt") -> Path:
    path = tmp_path / name
    torch.save(checkpoint, path)
    return path


def test_missing_model_file_says_how_to_get_one(tmp_path):
    with pytest.raises(ModelError, match=r"no model file at .*nothing\.pt.*make run.*--model"):
        load_model(tmp_path / "nothing.pt")


def test_a_file_that_is_no_checkpoint(tmp_path):
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"this is not a torch file" * 10)
    with pytest.raises(ModelError, match=r"junk\.pt is not an rmfer checkpoint"):
        load_model(junk)
    with pytest.raises(ModelError, match=r"no `format` entry"):
        load_model(save(tmp_path, {"weights": torch.zeros(3)}))


def test_a_checkpoint_of_another_format_version(tmp_path):
    checkpoint = {**untrained_checkpoint(), "format": "rmfer.attention_net.v0"}
    with pytest.raises(ModelError, match=r"format 'rmfer.attention_net.v0'.*reads 'rmfer\.atten"):
        load_model(save(tmp_path, checkpoint))


def test_a_checkpoint_of_another_class_count(tmp_path):
    checkpoint = untrained_checkpoint()
    five = {**checkpoint, "config": {**checkpoint["config"], "num_classes": 5}}
    with pytest.raises(ModelError, match=r"predicts 5 classes; .* 7 or 8"):
        load_model(save(tmp_path, five))
    # 8 classes in the config, 7 outputs in the weights
    eight = {
        **checkpoint,
        "config": {**checkpoint["config"], "num_classes": 8, "label_names": list(label_names(8))},
    }
    with pytest.raises(ModelError, match=r"classifier has 7 outputs but its config says 8"):
        load_model(save(tmp_path, eight))
    shuffled = list(label_names(7))[::-1]
    renamed = {**checkpoint, "config": {**checkpoint["config"], "label_names": shuffled}}
    with pytest.raises(ModelError, match=r"not the canonical first 7"):
        load_model(save(tmp_path, renamed))


def test_weights_that_do_not_fit_the_config(tmp_path):
    checkpoint = untrained_checkpoint()
    state = {k: v for k, v in checkpoint["state_dict"].items() if not k.startswith("projection")}
    with pytest.raises(ModelError, match=r"weights do not fit"):
        load_model(save(tmp_path, {**checkpoint, "state_dict": state}))


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message when CUDA is absent")
def test_asking_for_cuda_without_one(untrained_model):
    with pytest.raises(ModelError, match=r"no CUDA device"):
        load_model(untrained_model, "cuda")


def test_cli_without_a_model_stops_before_any_work(tmp_path):
    image = tmp_path / "face.png"
    Image.new("RGB", (64, 64)).save(image)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        rmfer, ["predict", str(image), "--model", str(tmp_path / "none.pt"), "--out", str(out)]
    )
    assert result.exit_code != 0
    assert "no model file at" in result.output and "--model" in result.output
    assert not out.exists()


def test_find_inputs_walks_folders_and_names_what_is_missing(tmp_path):
    (tmp_path / "photos/sub").mkdir(parents=True)
    (tmp_path / "photos/.cache").mkdir()
    for name in ("photos/b.jpg", "photos/sub/a.PNG", "photos/clip.mp4", "photos/.cache/x.jpg"):
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "photos/readme.txt").write_text("skipped")
    (tmp_path / "empty").mkdir()
    found = find_inputs(
        [tmp_path / "photos", tmp_path / "photos/b.jpg", tmp_path / "empty", tmp_path / "gone.mp4"]
    )
    names = [(str(i.path.relative_to(tmp_path)), i.kind) for i in found]
    assert names == [
        ("photos/b.jpg", "image"),
        ("photos/clip.mp4", "video"),
        ("photos/sub/a.PNG", "image"),
        ("empty", "unknown"),
        ("gone.mp4", "unknown"),
    ]  # b.jpg once; hidden folders and other files left out
    assert [bool(i.error) for i in found] == [False, False, False, True, True]
    assert "holds no image or video" in found[3].error
    assert "no such file or folder" in found[4].error


def test_bad_inputs_fail_alone_and_are_recorded(
    short_clip, untrained_model, facetrack_params, tmp_path
):
    folder = tmp_path / "inputs"
    (folder / "a").mkdir(parents=True)
    (folder / "b").mkdir()
    Image.new("RGB", (80, 60), (200, 180, 160)).save(folder / "a/same.png")
    Image.new("RGB", (80, 60), (20, 40, 60)).save(folder / "b/same.png")
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    data = short_clip.read_bytes()
    (folder / "truncated.mp4").write_bytes(data[: len(data) // 2])
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    renamed = tmp_path / "clip.data"  # a video under a suffix predict does not know
    renamed.write_bytes(data)
    model = load_model(untrained_model, "cpu")
    out = tmp_path / "out"
    lines: list[str] = []
    paths = [folder, notes, tmp_path / "missing.mp4", renamed]
    results = predict(paths, model, facetrack_params, PredictOptions(out, progress=False),
                      echo=lines.append)  # fmt: skip
    status = {str(r.path.relative_to(tmp_path)): (r.status, r.reason) for r in results}
    assert list(status) == [
        "inputs/a/same.png", "inputs/b/same.png", "inputs/broken.jpg", "inputs/truncated.mp4",
        "notes.txt", "missing.mp4", "clip.data",
    ]  # fmt: skip
    assert status["inputs/a/same.png"][0] == status["inputs/b/same.png"][0] == DONE
    assert status["clip.data"][0] == DONE
    broken = f"{folder}/broken.jpg: not a readable image (the file is damaged or not in an image"
    assert status["inputs/broken.jpg"] == (FAILED, f"{broken} format)")
    assert status["inputs/truncated.mp4"][0] == FAILED
    assert "truncated" in status["inputs/truncated.mp4"][1]
    assert status["notes.txt"][0] == FAILED
    assert "unsupported input: neither an image nor a video" in status["notes.txt"][1]
    assert status["missing.mp4"] == (FAILED, f"{tmp_path}/missing.mp4: no such file or folder")
    assert sum(line.startswith("FAILED ") for line in lines) == 4
    # two inputs with one name get two sets of files
    assert (out / "same.csv").is_file() and (out / "same-2.csv").is_file()
    assert (out / "clip.timeline.png").is_file()
    summary = pd.read_csv(out / "summary.csv")
    assert summary["status"].tolist() == [s for s, _ in status.values()]
    assert summary.loc[summary["status"] == FAILED, "reason"].str.len().min() > 20
