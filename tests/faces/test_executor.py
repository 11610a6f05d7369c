"""facetrack.executor: the forms it takes, and that where videos run changes no output."""

from __future__ import annotations

import dask
import pytest

from rmfer.errors import ParameterError, StageError
from rmfer.faces.cluster import dask_client
from rmfer.faces.executor import is_executor, local_workers
from rmfer.faces.params import FacetrackParams
from tests.conf import base_parameters


def params(**changes) -> FacetrackParams:
    return FacetrackParams.from_dict(base_parameters("facetrack", faces_dir="x", **changes))


@pytest.mark.parametrize("value", ["serial", "local:1", "local:16", "tcp://10.0.0.5:8786"])
def test_the_executor_forms(value):
    assert is_executor(value)
    assert params(executor=value).executor == value


@pytest.mark.parametrize("value", ["local:0", "local", "local:x", "8786", "Serial", "", None, 2])
def test_a_bad_executor_names_the_key_and_the_forms(value):
    with pytest.raises(ParameterError, match=r"facetrack\.executor = .* allowed: serial, local:N"):
        params(executor=value)


def test_bad_retries_name_the_key():
    with pytest.raises(ParameterError, match=r"facetrack\.executor_retries = -1 is invalid"):
        params(executor_retries=-1)


def test_local_workers():
    assert local_workers("local:3") == 3
    assert local_workers("serial") is None
    assert local_workers("tcp://host:8786") is None


def test_where_the_videos_run_leaves_the_hash_alone():
    """A video done serially is skipped by a cluster run, and the other way round."""
    serial = params()
    cluster = params(executor="tcp://host:8786", executor_retries=5)
    assert serial.fingerprint("m") == cluster.fingerprint("m")


def test_a_scheduler_that_does_not_answer_names_the_parameter():
    with (
        dask.config.set({"distributed.comm.timeouts.connect": "1s"}),
        pytest.raises(StageError, match=r"facetrack\.executor = 'tcp://127.0.0.1:1': no Dask"),
        dask_client("tcp://127.0.0.1:1"),
    ):
        pass
