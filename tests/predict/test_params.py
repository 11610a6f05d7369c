"""predict's parameters: the project's facetrack block, checked as facetrack checks it."""

from __future__ import annotations

from pathlib import Path

import pytest

from rmfer.errors import RmferError
from rmfer.predict.params import PROJECT_PARAMS, ParamsError, read_facetrack_params
from tests.conftest import PROJECT_ROOT

BASE = PROJECT_ROOT / "conf/base/parameters_facetrack.yml"


def test_outside_the_project_the_default_file_falls_back_to_the_projects(tmp_path):
    assert read_facetrack_params(tmp_path / "absent.yml", default=True) == (
        read_facetrack_params(BASE)
    )


def test_a_missing_or_incomplete_file_is_a_parameter_error_naming_it(tmp_path):
    with pytest.raises(ParamsError, match="no parameters file") as caught:
        read_facetrack_params(tmp_path / "absent.yml")
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, RmferError)
    typo = tmp_path / "typo.yml"
    typo.write_text("facetrack:\n  sample_rate: 5\n")
    with pytest.raises(
        ParamsError, match=r"typo\.yml: unknown parameters \['facetrack\.sample_rate'\]"
    ):
        read_facetrack_params(typo)


def test_a_partial_file_is_read_over_conf_base(tmp_path: Path) -> None:
    partial = tmp_path / "parameters_facetrack.yml"
    partial.write_text("facetrack:\n  detector:\n    score_threshold: 0.9\n")
    params = read_facetrack_params(partial)
    base = read_facetrack_params(PROJECT_PARAMS)
    assert params.detector.score_threshold == 0.9
    assert params.detector.nms_threshold == base.detector.nms_threshold
    assert params.sample_rate_hz == base.sample_rate_hz
