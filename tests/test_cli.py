"""`rmfer import-weights` and `rmfer export`: one command each, clear errors, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
import timm
import torch
from click.testing import CliRunner

from rmfer.cli import rmfer
from rmfer.deploy.onnx_export import OnnxNet
from rmfer.labels import CANONICAL_LABELS
from rmfer.models.checkpoint import make_checkpoint
from rmfer.models.network import NetworkConfig, build_network


def invoke(*args: str):
    return CliRunner().invoke(rmfer, [str(a) for a in args])


def assert_clean_failure(result, *phrases: str) -> None:
    """A message and a non-zero exit, as click reports a ClickException; no traceback."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    # log lines (the unpickling warning) may come first when a handler writes to stdout
    assert "Traceback" not in result.output and "\nError: " in f"\n{result.output}"
    for phrase in phrases:
        assert phrase in result.output, result.output


@pytest.fixture(scope="module")
def pickled_timm_model(tmp_path_factory) -> tuple[Path, torch.nn.Module]:
    """A whole pickled timm model with an 8-row head, as HSEmotion ships enet_b2_8.pt."""
    torch.manual_seed(0)
    model = timm.create_model("resnet10t", num_classes=8).eval()
    path = tmp_path_factory.mktemp("hsemotion") / "enet_like.pt"
    torch.save(model, path)
    return path, model


def test_import_weights_of_a_pickled_model(pickled_timm_model, tmp_path):
    source, model = pickled_timm_model
    out = tmp_path / "weights" / "start.pt"
    result = invoke("import-weights", source, "--out", out, "--trust", "--head-labels", "hsemotion")
    assert result.exit_code == 0, result.output
    assert (
        f"wrote {out}" in result.output and "classifier `fc`: Neutral, Happiness" in result.output
    )
    state = torch.load(out, weights_only=True)  # a plain state dict now
    anger = sorted(CANONICAL_LABELS).index("Anger")
    assert torch.equal(state["fc.weight"][CANONICAL_LABELS.index("Anger")], model.fc.weight[anger])


def test_import_weights_refuses_to_unpickle_without_trust(pickled_timm_model, tmp_path):
    source, _ = pickled_timm_model
    result = invoke("import-weights", source, "--out", tmp_path / "o.pt")
    assert_clean_failure(result, "--trust", "pickled model")
    assert not (tmp_path / "o.pt").exists()


@pytest.mark.parametrize(
    ("content", "extra", "phrases"),
    [
        (None, [], ["no weights file at"]),
        (b"junk" * 20, ["--trust"], ["cannot be read as weights", "state dict"]),
        ("state", ["--head-labels", "Anger,Fear"], ["names 2 labels, but the classifier has 8"]),
        ("state", ["--head-labels", "Anger,Fear,Bored,Sadness,Surprise,Disgust,Neutral,Happy"],
         ["Bored"]),
    ],
)  # fmt: skip
def test_import_weights_errors(pickled_timm_model, tmp_path, content, extra, phrases):
    source = tmp_path / "source.pt"
    if content == "state":
        torch.save(pickled_timm_model[1].state_dict(), source)
    elif content is not None:
        source.write_bytes(content)
    result = invoke("import-weights", source, "--out", tmp_path / "o.pt", *extra)
    assert_clean_failure(result, *phrases)


@pytest.fixture(scope="module")
def checkpoint_file(tmp_path_factory) -> Path:
    torch.manual_seed(0)
    net = build_network(NetworkConfig("resnet10t", 7, 48, CANONICAL_LABELS[:7]))
    path = tmp_path_factory.mktemp("checkpoint") / "acl.pt"
    torch.save(make_checkpoint(net), path)
    return path


def test_export_writes_an_onnx_file_predict_reads(checkpoint_file, tmp_path):
    out = tmp_path / "deploy" / "acl.onnx"
    result = invoke("export", checkpoint_file, "--onnx", out)
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.output
    net = OnnxNet(out, providers=["CPUExecutionProvider"])
    assert net.label_names == CANONICAL_LABELS[:7] and net.image_size == 48


def test_export_errors(checkpoint_file, tmp_path):
    assert_clean_failure(
        invoke("export", tmp_path / "none.pt", "--onnx", tmp_path / "m.onnx"), "no model file at"
    )
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"junk" * 20)
    assert_clean_failure(
        invoke("export", junk, "--onnx", tmp_path / "m.onnx"), "is not an rmfer checkpoint"
    )
    assert_clean_failure(
        invoke("export", checkpoint_file, "--onnx", tmp_path / "m.pt"), "name the file *.onnx"
    )
    assert not list(tmp_path.glob("m.*"))
