"""facetrack on a Dask LocalCluster (2 worker processes, 1 thread each): the serial run's bytes.

Four videos (the small world's two, each listed twice under another id) so that both workers
have more than one. Killing workers mid-video, or the driver mid-run, still ends in the serial
run's bytes; a re-run after a killed driver does only the videos without a record.
"""

from __future__ import annotations

import functools
import json
import operator
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest
from distributed import Client, LocalCluster
from tqdm.auto import tqdm

from rmfer.faces.cluster import detectors_loaded, local_cluster, run_tasks
from rmfer.faces.stage import DONE, SKIPPED, FacetrackResult, run_facetrack
from tests.conf import base_parameters
from tests.faces.conftest import World, facetrack_params

VIDEO_FILES = ("npy", "faces.parquet", "frames.parquet")


@pytest.fixture(scope="module")
def four_videos(small_world: World) -> pd.DataFrame:
    extra = {f"{v}_again": small_world.video(v) for v in small_world.video_ids}
    return small_world.index(extra)


@pytest.fixture(scope="module")
def serial(four_videos, tmp_path_factory) -> tuple[FacetrackResult, Path]:
    faces_dir = tmp_path_factory.mktemp("serial")
    return run_facetrack(four_videos, facetrack_params(faces_dir)), faces_dir


@pytest.fixture(scope="module")
def cluster() -> tuple[LocalCluster, Client]:
    with (
        local_cluster(2, threads_per_worker=1, dashboard_address=None) as local,
        Client(local) as client,
    ):
        yield local, client


def assert_same_bytes(result: FacetrackResult, faces_dir: Path, serial) -> None:
    """The tables equal, and every video's shard and tables the serial run's very bytes."""
    expected, serial_dir = serial
    pd.testing.assert_frame_equal(result.tracks, expected.tracks)
    pd.testing.assert_frame_equal(result.frames, expected.frames)
    for video_id in expected.report["per_video"]:
        for suffix in VIDEO_FILES:
            name = f"{video_id}.{suffix}"
            assert (faces_dir / name).read_bytes() == (serial_dir / name).read_bytes(), name
    assert not list(faces_dir.glob(".*partial"))


def test_a_local_cluster_writes_the_serial_bytes(four_videos, serial, cluster, tmp_path):
    local, client = cluster
    params = facetrack_params(tmp_path, executor=local.scheduler_address)
    result = run_facetrack(four_videos, params)
    assert_same_bytes(result, tmp_path, serial)
    assert result.report["videos"] == {"total": 4, "done": 4, "skipped": 0, "failed": 0}
    assert list(result.report["per_video"]) == list(serial[0].report["per_video"])
    # Each worker loaded its detector once, for the two videos it did.
    assert list(client.run(detectors_loaded).values()) == [1, 1]


def test_local_workers_are_forked_from_a_server_that_imported_the_detector(cluster):
    """LOCAL_CLUSTER_CONFIG: no worker imports onnxruntime itself, and none gets a pinned
    mmap threshold (MALLOC_TRIM_THRESHOLD_ costs ~12% CPU a video)."""
    _, client = cluster
    parents = set(client.run(os.getppid).values())
    assert len(parents) == 1 and os.getpid() not in parents  # one server, not this process
    server = psutil.Process(parents.pop())
    assert any("onnxruntime_pybind11_state" in m.path for m in server.memory_maps())
    assert set(client.run(os.getenv, "MALLOC_TRIM_THRESHOLD_").values()) == {None}


def test_workers_killed_mid_video_leave_the_serial_bytes(four_videos, serial, cluster, tmp_path):
    local, client = cluster
    pids = client.run(os.getpid)
    killed: list[str] = []

    def kill_when_a_shard_is_half_written() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not killed:
            partial = sorted(tmp_path.glob(".*.npy.partial"))
            if partial:
                for pid in pids.values():
                    os.kill(pid, signal.SIGKILL)
                killed.append(partial[0].name)
            time.sleep(0.005)

    killer = threading.Thread(target=kill_when_a_shard_is_half_written)
    killer.start()
    params = facetrack_params(tmp_path, executor=local.scheduler_address)
    result = run_facetrack(four_videos, params)
    killer.join()
    assert killed, "no worker was caught mid-video"
    assert result.report["videos"]["done"] == 4
    assert_same_bytes(result, tmp_path, serial)
    assert set(client.run(os.getpid).values()).isdisjoint(pids.values())  # nannies restarted them


DRIVER = """
import json, sys
import pandas as pd
from rmfer.faces.params import FacetrackParams
from rmfer.faces.stage import run_facetrack

if __name__ == "__main__":
    params = FacetrackParams.from_dict(json.loads(open(sys.argv[1]).read()))
    run_facetrack(pd.read_json(sys.argv[2]), params)
"""


def test_a_killed_driver_then_a_rerun_redoes_only_the_unfinished_videos(
    four_videos, serial, cluster, tmp_path
):
    faces_dir = tmp_path / "rm_faces"
    (tmp_path / "driver.py").write_text(DRIVER)
    params = base_parameters(
        "facetrack", faces_dir=str(faces_dir), progress=False, executor="local:2"
    )
    (tmp_path / "params.json").write_text(json.dumps(params))
    four_videos.to_json(tmp_path / "index.json")
    driver = subprocess.Popen(
        [sys.executable, "driver.py", "params.json", "index.json"],
        cwd=tmp_path,
        start_new_session=True,  # its own process group: the driver and its local workers
    )
    try:
        deadline = time.monotonic() + 120
        while not list(faces_dir.glob("*.json")) and time.monotonic() < deadline:
            assert driver.poll() is None, "the driver ended before it was killed"
            time.sleep(0.01)
    finally:
        os.killpg(driver.pid, signal.SIGKILL)  # the driver, its cluster and its workers at once
        driver.wait()
    finished = {p.stem for p in faces_dir.glob("*.json")}
    assert 1 <= len(finished) < 4

    local, _ = cluster
    rerun = run_facetrack(
        four_videos, facetrack_params(faces_dir, executor=local.scheduler_address)
    )
    status = {v: s["status"] for v, s in rerun.report["per_video"].items()}
    assert {v for v, s in status.items() if s == SKIPPED} == finished
    assert {v for v, s in status.items() if s == DONE} == set(status) - finished
    assert_same_bytes(rerun, faces_dir, serial)


def test_a_task_that_fails_for_good_is_an_outcome_and_the_others_go_on(cluster):
    local, _ = cluster
    work = functools.partial(operator.truediv, 1.0)  # 1 / job: the job 0 raises
    results = run_tasks(
        local.scheduler_address,
        work,
        [1, 0, 4],
        ["one", "zero", "four"],
        lambda job, error: f"{job}: {type(error).__name__}",
        retries=1,
        bar=tqdm(disable=True),
    )
    assert results == [1.0, "0: ZeroDivisionError", 0.25]
