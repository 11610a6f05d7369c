"""facetrack parameters: the project's files load, typos fail, the hash tracks what matters."""

from __future__ import annotations

import pytest
from kedro.config import OmegaConfigLoader

from rmfer.errors import ParameterError
from rmfer.faces.params import EvaluationParams, FacetrackParams
from rmfer.settings import CONFIG_LOADER_ARGS
from tests.conf import base_parameters
from tests.conftest import PROJECT_ROOT


def params_with(**blocks) -> FacetrackParams:
    """conf/base's block, `faces_dir` set, each nested block changed only where named."""
    values = base_parameters("facetrack", faces_dir="x")
    for key, value in blocks.items():
        values[key] = {**values[key], **value} if isinstance(value, dict) else value
    return FacetrackParams.from_dict(values)


@pytest.mark.parametrize("env", ["local", "paper"])
def test_the_projects_parameters_load(env):
    loader = OmegaConfigLoader(str(PROJECT_ROOT / "conf"), env=env, **CONFIG_LOADER_ARGS)
    params = FacetrackParams.from_dict(loader["parameters"]["facetrack"])
    assert params.faces_dir == loader["catalog"]["rm_faces"]["path"]  # one source of truth


def test_unknown_missing_and_bad_keys_name_the_parameter():
    with pytest.raises(ParameterError, match=r"unknown parameters \['facetrack.detector.scor'\]"):
        params_with(detector={"scor": 0.5})
    values = base_parameters("facetrack")
    del values["tracking"]["max_gap"]
    with pytest.raises(ParameterError, match=r"facetrack.tracking lack \['max_gap'\]"):
        FacetrackParams.from_dict(values)
    with pytest.raises(ValueError, match=r"facetrack\.sample_rate_hz = 0 is invalid"):
        params_with(sample_rate_hz=0)
    with pytest.raises(ValueError, match=r"facetrack\.detector\.in_flight = 0 is invalid"):
        params_with(detector={"in_flight": 0})
    with pytest.raises(ValueError, match=r"facetrack\.detector\.threads = 0 .* or null"):
        params_with(detector={"threads": 0})
    with pytest.raises(ValueError, match=r"facetrack\.detector\.score_threshold = 1 .*\(0, 1\)"):
        params_with(detector={"score_threshold": 1})
    with pytest.raises(ParameterError, match=r"facetrack\.evaluation\.iou = 0 is invalid"):
        EvaluationParams.from_dict({"iou": 0})


def test_hash_ignores_speed_and_display_but_not_results():
    base = params_with(faces_dir="a")
    same = params_with(
        faces_dir="b", progress=False, detector={"batch_size": 16, "threads": 1, "in_flight": 4}
    )
    other = params_with(faces_dir="a", quality={"min_sharpness": 5})
    assert base.fingerprint("m") == same.fingerprint("m")
    assert base.fingerprint("m") != other.fingerprint("m")
    assert base.fingerprint("m") != base.fingerprint("another model")


def test_the_hash_of_the_projects_parameters_is_the_one_existing_records_hold():
    """Records written before parameters moved to conf/base stay valid: same values, same hash."""
    loader = OmegaConfigLoader(str(PROJECT_ROOT / "conf"), base_env="base", default_run_env="local")
    params = FacetrackParams.from_dict(loader["parameters"]["facetrack"])
    assert params.fingerprint("m") == "2b1b23a7883818d6"
