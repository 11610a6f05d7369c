"""predict on a demo-world video: the labels agree with the sidecar, and every output is right."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from PIL import Image

from rmfer.cli import rmfer
from rmfer.predict import DONE, PredictOptions, load_model, predict
from rmfer.predict.table import prob_column
from rmfer.training.acl.quality import sidecar_expressions
from rmfer.video.decode import sample_frames
from rmfer.video.probe import probe_video
from tests.predict.conftest import CLIP_FPS, CLIP_SECONDS

# Measured (report of issue #8) with the trained_model fixture, training seeds 0 and 1, on 30 s
# clips of seeds 5-9: balanced agreement (the mean over expressions of the share of that
# expression's faces the model names right) 0.45-0.73, chance 1/5-1/7, so a margin of 0.25-0.56;
# the untrained net 0.00-0.20, a margin of -0.17 to +0.00. Plain agreement depends on how much of
# the clip is Neutral, which this small model mostly misses: 0.39-0.69 against 0.31-0.37 for
# always naming the most frequent expression. The assertion keeps about half the smallest margin.
MIN_MARGIN_OVER_CHANCE = 0.15
MIN_FACES_PER_EXPRESSION = 10  # expressions seen less often are left out of the balanced mean


def agreement(table: pd.DataFrame, truth: pd.DataFrame, labels: tuple[str, ...]) -> dict:
    """Predicted label vs the dominant expression of the sidecar face each row overlaps most.

    Balanced over the expressions the clip shows, so that a model is not rewarded for naming
    the clip's most frequent expression: a label that ignores the face scores 1/K on average
    over K expressions, whatever it names.
    """
    rows = table.assign(video_id="clip")
    dominant = sidecar_expressions(rows, {"clip": truth}, min_iou=0.5)
    predicted = table["label"].map({name: k for k, name in enumerate(labels)}).to_numpy()
    known = (dominant >= 0) & (dominant < len(labels))  # a 7-class model cannot say Contempt
    shown = [
        k for k in range(len(labels))
        if (known & (dominant == k)).sum() >= MIN_FACES_PER_EXPRESSION
    ]  # fmt: skip
    recall = [float((predicted[known & (dominant == k)] == k).mean()) for k in shown]
    return {
        "faces": len(table),
        "matched": int(known.sum()),
        "expressions": len(shown),
        "agreement": float((predicted[known] == dominant[known]).mean()),
        "balanced": float(np.mean(recall)),
        "chance": 1 / len(shown),
    }


@pytest.fixture(scope="module")
def video_run(clip, trained_model, facetrack_params, tmp_path_factory):
    out = tmp_path_factory.mktemp("predict_video")
    model = load_model(trained_model, "cpu")
    options = PredictOptions(out, annotate=True, progress=False)
    (result,) = predict([clip.path], model, facetrack_params, options, echo=lambda _: None)
    return result, model, out


def test_labels_agree_with_the_sidecar_far_above_chance(clip, video_run, untrained_model,
                                                        facetrack_params, tmp_path):  # fmt: skip
    result, model, _ = video_run
    assert result.status == DONE, result.reason
    measured = agreement(result.table, clip.truth, model.labels)
    assert measured["matched"] >= 0.9 * measured["faces"], measured  # rows are the sidecar's faces
    assert measured["expressions"] >= 5, measured
    assert measured["balanced"] > measured["chance"] + MIN_MARGIN_OVER_CHANCE, measured

    # The same measurement with an untrained net stays near chance: the test can fail.
    blank = load_model(untrained_model, "cpu")
    options = PredictOptions(tmp_path, progress=False)
    (before,) = predict([clip.path], blank, facetrack_params, options, echo=lambda _: None)
    baseline = agreement(before.table, clip.truth, blank.labels)
    assert baseline["balanced"] < baseline["chance"] + MIN_MARGIN_OVER_CHANCE, baseline


def test_table_has_one_row_per_face_with_probabilities_and_label(clip, video_run):
    result, model, out = video_run
    table = pd.read_parquet(out / "clip.parquet")
    csv = pd.read_csv(out / "clip.csv")
    assert list(csv.columns) == list(table.columns)
    assert len(csv) == len(table) == len(result.table) > 0
    probs = [prob_column(label) for label in model.labels]
    assert list(table.columns) == [
        "input", "frame_idx", "time_s", "person_id", "x1", "y1", "x2", "y2", "score", "quality",
        *probs, "label",
    ]  # fmt: skip
    np.testing.assert_allclose(table[probs].sum(axis=1), 1.0, atol=1e-5)
    assert (table["label"] == table[probs].idxmax(axis=1).str[2:].str.capitalize()).all()
    # five samples a second of film time, four reactors, one id each
    assert set(np.round(table["time_s"] * 5, 6)) <= set(range(int(CLIP_SECONDS * 5)))
    assert table["person_id"].nunique() == 4
    assert table.groupby("frame_idx")["person_id"].agg(lambda p: p.is_unique).all()
    assert (table[["x1", "y1"]].to_numpy() < table[["x2", "y2"]].to_numpy()).all()
    assert result.summary.startswith(f"clip.mp4 (video): {int(CLIP_SECONDS * 5)} frames, ")
    assert "4 persons; dominant: #0 " in result.summary


def test_timeline_plot_is_written(video_run):
    _, _, out = video_run
    with Image.open(out / "clip.timeline.png") as image:
        width, height = image.size
        pixels = np.asarray(image.convert("RGB"))[::3, ::3]
    assert width >= 800 and height >= 4 * 150  # a panel per person
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 20  # lines in several colours


def test_annotated_video_has_every_frame_with_boxes_drawn(clip, video_run):
    result, _, out = video_run
    annotated = out / "clip.annotated.mp4"
    info = probe_video(annotated)
    assert info.frames == CLIP_SECONDS * CLIP_FPS
    assert abs(info.fps - CLIP_FPS) < 1e-6
    original = {f.index: f.image for f in sample_frames(clip.path, None)}
    rows = result.table[result.table["frame_idx"] == 10]
    for frame in sample_frames(annotated, None):
        if frame.index != 10:
            continue
        for row in rows.itertuples():
            # the box's left edge is drawn in the person's colour: the pixels there changed
            x, y1, y2 = round(row.x1), round(row.y1), round(row.y2)
            edge = (slice(y1 + 2, y2 - 2), slice(max(0, x - 1), x + 2))
            changed = np.abs(frame.image[edge].astype(int) - original[10][edge].astype(int)).mean()
            assert changed > 20, (row.person_id, changed)
        break
    else:
        pytest.fail("frame 10 missing from the annotated video")


def test_cli_writes_outputs_and_fails_on_a_bad_input(short_clip, untrained_model, tmp_path):
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"garbage" * 100)
    out = tmp_path / "out"
    args = ["predict", str(bad), str(short_clip), "--model", str(untrained_model)]
    result = CliRunner().invoke(rmfer, [*args, "--out", str(out), "--no-progress"])
    assert result.exit_code == 1, result.output
    assert "FAILED" in result.output and "broken.mp4" in result.output
    assert "short.mp4 (video): 15 frames" in result.output  # the good input after the bad one
    assert "2 inputs, 1 done, 1 failed" in result.output
    summary = pd.read_csv(out / "summary.csv")
    assert summary["status"].tolist() == ["failed", "done"]
    assert (out / "short.csv").is_file() and (out / "short.timeline.png").is_file()
    assert not (out / "short.annotated.mp4").exists()  # only with --annotate


def test_smoothing_steadies_the_labels_of_a_real_clip(clip, video_run):
    """One second of smoothing: label changes per person fall towards the clip's own expression
    changes (measured: 106 raw, 64 smoothed, 55 in the sidecar), agreement kept (0.61)."""
    from rmfer.predict.smooth import smooth_table
    from tests.predict.test_smooth import flips

    result, model, _ = video_run
    smoothed = smooth_table(result.table, model.labels, seconds=1.0)
    shown = sidecar_expressions(result.table.assign(video_id="clip"), {"clip": clip.truth}, 0.5)
    truth = result.table.assign(label=shown)
    raw_flips, smooth_flips, true_flips = flips(result.table), flips(smoothed), flips(truth)
    assert smooth_flips < 0.7 * raw_flips, (raw_flips, smooth_flips, true_flips)
    raw, smooth = (agreement(t, clip.truth, model.labels) for t in (result.table, smoothed))
    assert smooth["balanced"] > raw["balanced"] - 0.05, (raw, smooth)
