"""facetrack parameters: the project's files load, typos fail, the hash tracks what matters."""

from __future__ import annotations

import pytest
from kedro.config import OmegaConfigLoader

from rmfer.faces.params import FacetrackParams
from tests.conftest import PROJECT_ROOT


@pytest.mark.parametrize("env", ["local", "paper"])
def test_the_projects_parameters_load(env):
    loader = OmegaConfigLoader(str(PROJECT_ROOT / "conf"), base_env="base", default_run_env=env)
    params = FacetrackParams.from_dict(loader["parameters"]["facetrack"])
    assert params.faces_dir == loader["catalog"]["rm_faces"]["path"]  # one source of truth


def test_unknown_and_bad_keys_name_the_parameter():
    with pytest.raises(
        ValueError, match=r"facetrack.detector parameters: unknown key\(s\) \['scor'\]"
    ):
        FacetrackParams.from_dict({"faces_dir": "x", "detector": {"scor": 0.5}})
    with pytest.raises(ValueError, match="sample_rate_hz"):
        FacetrackParams.from_dict({"faces_dir": "x", "sample_rate_hz": 0})
    with pytest.raises(ValueError, match=r"`detector\.in_flight` must be >= 1"):
        FacetrackParams.from_dict({"faces_dir": "x", "detector": {"in_flight": 0}})
    with pytest.raises(ValueError, match=r"`detector\.threads` must be >= 1, or null"):
        FacetrackParams.from_dict({"faces_dir": "x", "detector": {"threads": 0}})


def test_hash_ignores_speed_and_display_but_not_results():
    base = FacetrackParams.from_dict({"faces_dir": "a"})
    same = FacetrackParams.from_dict(
        {
            "faces_dir": "b",
            "progress": False,
            "detector": {"batch_size": 16, "threads": 1, "in_flight": 4},
        }
    )
    other = FacetrackParams.from_dict({"faces_dir": "a", "quality": {"min_sharpness": 5}})
    assert base.fingerprint("m") == same.fingerprint("m")
    assert base.fingerprint("m") != other.fingerprint("m")
    assert base.fingerprint("m") != base.fingerprint("another model")
