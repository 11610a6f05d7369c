"""`rmfer predict --model OUT.onnx`: the exported model, run by onnxruntime, predicts as the
checkpoint does: the same probabilities on real face crops, the same labels on a test split."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from click.testing import CliRunner
from torch.utils.data import DataLoader

from rmfer.cli import rmfer
from rmfer.data.dataset import BenchmarkImages
from rmfer.data.transforms import eval_transform
from rmfer.deploy.onnx_export import export_onnx
from rmfer.faces.stream import make_detector, track_frames
from rmfer.predict import Model, ModelError, OnnxModel, load_model
from rmfer.predict.table import prob_column
from rmfer.training.runtime import Precision
from rmfer.training.scoring import predict as predict_outputs
from rmfer.video.decode import sample_frames
from tests.predict.test_every_face import ListSink


@pytest.fixture(scope="module")
def exported(trained_model, tmp_path_factory) -> tuple:
    path = tmp_path_factory.mktemp("onnx") / "ial.onnx"
    export_onnx(trained_model, path)
    return load_model(trained_model, "cpu"), load_model(path, "cpu")


@pytest.fixture(scope="module")
def real_crops(short_clip, facetrack_params) -> np.ndarray:
    """Every face of the short clip, aligned as predict aligns it (112 px, not the net's size)."""
    sink = ListSink()
    frames = sample_frames(short_clip, facetrack_params.sample_rate_hz)
    detector = make_detector(facetrack_params)
    track_frames(frames, "short", detector, facetrack_params, sink, every_face=True)
    return np.stack(sink.kept())


def test_onnx_probabilities_match_torch_on_real_crops(exported, real_crops):
    torch_model, onnx_model = exported
    assert isinstance(torch_model, Model) and isinstance(onnx_model, OnnxModel)
    assert onnx_model.labels == torch_model.labels
    assert real_crops.shape[1] != torch_model.net.config.image_size  # resizing is exercised
    for batch in (real_crops[:1], real_crops):  # any batch size
        expected = torch_model.probabilities(batch)
        got = onnx_model.probabilities(batch)
        assert got.shape == expected.shape == (len(batch), len(torch_model.labels))
        np.testing.assert_allclose(got, expected, atol=1e-4, rtol=0)


def test_onnx_gives_the_checkpoints_labels_on_the_test_split(exported, trained_benchmark):
    torch_model, onnx_model = exported
    rows = trained_benchmark[trained_benchmark["split"] == "test"]
    config = torch_model.net.config
    # the checkpoint as evaluate runs it: the benchmark loader, eval_transform, the net's logits
    data = BenchmarkImages(rows, eval_transform(config.image_size, config.mean, config.std), 7)
    outputs = predict_outputs(
        torch_model.net,
        DataLoader(data, batch_size=32),
        torch.device("cpu"),
        Precision(torch.device("cpu"), None),
    )
    checkpoint_labels = outputs.logits.argmax(dim=1).numpy()
    # the export as predict runs it: uint8 RGB images in, probabilities out
    images = BenchmarkImages(rows, lambda image: image, 7)
    pixels = np.stack([images[k]["image"].permute(1, 2, 0).numpy() for k in range(len(images))])
    onnx_labels = onnx_model.probabilities(pixels).argmax(axis=1)
    assert len(rows) >= 50 and len(set(checkpoint_labels.tolist())) >= 3  # a real test
    np.testing.assert_array_equal(onnx_labels, checkpoint_labels)


def test_cli_predict_with_an_onnx_model(exported, short_clip, tmp_path):
    torch_model, onnx_model = exported
    tables = {}
    for model in (torch_model.path, onnx_model.path):
        out = tmp_path / model.suffix[1:]
        args = ["predict", str(short_clip), "--model", str(model), "--out", str(out)]
        result = CliRunner().invoke(rmfer, [*args, "--no-progress", "--device", "cpu"])
        assert result.exit_code == 0, result.output
        tables[model.suffix] = pd.read_parquet(out / "short.parquet")
    assert "(ONNX, 7 classes, on CPUExecutionProvider)" in result.output
    torch_table, onnx_table = tables[".pt"], tables[".onnx"]
    probs = [prob_column(label) for label in torch_model.labels]
    np.testing.assert_allclose(onnx_table[probs], torch_table[probs], atol=1e-4)
    pd.testing.assert_frame_equal(onnx_table.drop(columns=probs), torch_table.drop(columns=probs))


def test_an_unusable_onnx_file_is_named(tmp_path, exported):
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not a model" * 10)
    with pytest.raises(ModelError, match=r"junk\.onnx is not an ONNX model.*rmfer export"):
        load_model(junk, "cpu")
    with pytest.raises(ModelError, match=r"no model file at .*missing\.onnx.*rmfer export"):
        load_model(tmp_path / "missing.onnx", "cpu")
