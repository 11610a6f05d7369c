"""Every detected face gets a row; `quality` names the checks it fails; --min-quality filters."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from PIL import Image

from rmfer.cli import rmfer
from rmfer.errors import ParameterError
from rmfer.faces.quality import profile
from rmfer.predict import PredictOptions, load_model, predict
from rmfer.predict.quality import keep_mask, select, tolerated_flaws
from rmfer.predict.table import summary_line
from rmfer.synth.expressions import PROTOTYPES
from rmfer.synth.face import Pose, composite, render_face, sample_background
from rmfer.synth.identity import sample_identity

YAW = 45.0  # a 3/4 view: RetinaFace finds it at ~1.0, its landmarks say 0.7-0.9 of a profile


@pytest.fixture(scope="module")
def turned_photo(tmp_path_factory) -> tuple:
    """A close-up of a head turned 45 degrees, on a room background."""
    rng = np.random.default_rng(1)
    identity = sample_identity(rng)
    image = sample_background(np.random.default_rng(1), 360, 480)
    face = render_face(identity, PROTOTYPES["Happiness"], 240, pose=Pose(yaw=YAW))
    box, landmarks = composite(image, face, 120, 60)
    path = tmp_path_factory.mktemp("turned") / "turned.png"
    Image.fromarray(image).save(path)
    return path, box, landmarks


def test_a_face_in_three_quarter_view_gets_a_row_flagged_profile(
    turned_photo, untrained_model, facetrack_params, tmp_path
):
    path, box, landmarks = turned_photo
    assert profile(landmarks) > facetrack_params.quality.max_profile  # the truth: a 3/4 view
    model = load_model(untrained_model, "cpu")
    lines: list[str] = []
    options = PredictOptions(tmp_path, progress=False)
    predict([path], model, facetrack_params, options, echo=lines.append)
    table = pd.read_csv(tmp_path / "turned.csv")
    assert len(table) == 1, table
    row = table.iloc[0]
    assert row["quality"] == "profile"
    assert row["x1"] < (box[0] + box[2]) / 2 < row["x2"]  # the row is that face
    assert lines == [f"turned.png (image): 1 face (profile), 1 person; dominant: #0 {row['label']}"]


def test_min_quality_ok_drops_it_and_says_why(turned_photo, untrained_model, tmp_path):
    path, _, _ = turned_photo
    out = tmp_path / "out"
    args = ["predict", str(path), "--model", str(untrained_model), "--out", str(out)]
    result = CliRunner().invoke(rmfer, [*args, "--min-quality", "ok", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "turned.png (image): 1 face, dropped: profile; no face kept" in result.output
    assert len(pd.read_csv(out / "turned.csv")) == 0
    # tolerating the flaw keeps the face
    again = CliRunner().invoke(rmfer, [*args, "--min-quality", "small+profile", "--no-progress"])
    assert again.exit_code == 0, again.output
    assert pd.read_csv(out / "turned.csv")["quality"].tolist() == ["profile"]


def test_a_wrong_min_quality_is_an_error_before_any_work(turned_photo, untrained_model, tmp_path):
    path, _, _ = turned_photo
    args = ["predict", str(path), "--model", str(untrained_model), "--out", str(tmp_path / "o")]
    result = CliRunner().invoke(rmfer, [*args, "--min-quality", "sideways"])
    assert result.exit_code == 1, result.output  # a click error: a message, no traceback
    assert "'sideways' is no quality flag" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "o").exists()


def test_min_quality_keeps_faces_whose_every_flaw_is_tolerated():
    qualities = pd.Series(["ok", "profile", "small+profile", "blurry", "few_faces"])
    assert keep_mask(qualities, "any").all()
    assert keep_mask(qualities, "ok").tolist() == [True, False, False, False, False]
    assert keep_mask(qualities, "profile").tolist() == [True, True, False, False, False]
    assert keep_mask(qualities, "small+profile").tolist() == [True, True, True, False, False]
    assert tolerated_flaws("blurry+few_faces") == {"blurry", "few_faces"}
    with pytest.raises(ParameterError, match=r"'blurred' is no quality flag.*small, blurry"):
        tolerated_flaws("blurred")


def test_summary_counts_kept_flaws_and_dropped_faces():
    labels = ("Neutral", "Happiness")
    table = pd.DataFrame(
        {
            "person_id": [0, 0, 1],
            "quality": ["ok", "profile", "ok"],
            "p_neutral": [0.9, 0.8, 0.2],
            "p_happiness": [0.1, 0.2, 0.8],
        }
    )
    kept, dropped = select(table, "ok")
    assert dropped == Counter({"profile": 1}) and len(kept) == 2
    line = summary_line("clip.mp4", "video", 10, table, labels, Counter({"small": 3}))
    assert line == (
        "clip.mp4 (video): 10 frames, 6 faces (1 profile), dropped: 3 small, 2 persons; "
        "dominant: #0 Neutral, #1 Happiness"
    )
