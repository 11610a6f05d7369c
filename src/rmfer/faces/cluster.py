"""Facetrack's videos on a Dask cluster: one task per video, the calling process the driver.

For `facetrack.executor` = `local:N` or a scheduler's address (`rmfer.faces.executor`). The
driver submits one task per video, shows one progress bar over the videos and gets back each video's
small outcome; the crops and the per-video tables are written by the workers, next to the
video's record, into a folder every worker reaches (docs/stages/facetrack.md).

Faults: a task whose worker dies is rescheduled by the scheduler on another worker, up to its
`distributed.scheduler.allowed-failures` times (3 by default) before Dask gives up on it with
`KilledWorker`; a task that raises is retried `facetrack.executor_retries` times. Either way a
video that still fails becomes a failed outcome from `on_error`, and the others go on.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import logging
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import cv2
from tqdm.auto import tqdm

from rmfer.errors import StageError
from rmfer.faces.detect import RetinaFaceDetector
from rmfer.faces.executor import local_workers
from rmfer.faces.params import FacetrackParams
from rmfer.faces.stream import available_cores, make_detector

logger = logging.getLogger(__name__)

Job = TypeVar("Job")
Result = TypeVar("Result")


# How a cluster made for the run (`local:N`) starts its workers, measured on the demo videos.
LOCAL_CLUSTER_CONFIG: dict[str, Any] = {
    # The workers' statistical profiler (the dashboard's Profile page) costs a few per cent of
    # every core; a cluster made for one run does without it.
    "distributed.worker.profile.enabled": False,
    # Dask exports MALLOC_TRIM_THRESHOLD_ to its workers, which also pins glibc's mmap threshold
    # at 128 KiB: every decoded frame (0.7 MB) is then mapped and unmapped afresh, ~12% more CPU
    # a video. Without it, glibc's own adaptive thresholds apply, as in a serial run.
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    # Workers forked from one server process that imported WORKER_MODULES once, rather than each
    # spawned afresh to import them (1.5 CPU-s apiece). The server is itself a fresh interpreter,
    # so, unlike a plain fork of the driver, no thread or thread pool of the driver is copied.
    "distributed.worker.multiprocessing-method": "forkserver",
}
WORKER_MODULES = ["distributed", "rmfer.faces.stage"]  # stage: where the task function lives


@contextmanager
def local_cluster(
    workers: int, threads_per_worker: int | None = None, **cluster_args: Any
) -> Iterator[Any]:
    """A LocalCluster of `workers` processes started as LOCAL_CLUSTER_CONFIG says.

    Each worker's threads default to its share of this machine's cores. The config stays set
    while the cluster lives, so that a worker restarted after a crash starts the same way.
    """
    import dask
    from distributed import LocalCluster
    from distributed.utils import get_mp_context

    with dask.config.set(LOCAL_CLUSTER_CONFIG):
        # Has effect until the server first starts; it then serves every later cluster.
        get_mp_context().set_forkserver_preload(WORKER_MODULES)
        with LocalCluster(
            n_workers=workers,
            threads_per_worker=threads_per_worker or max(1, available_cores() // workers),
            processes=True,
            **cluster_args,
        ) as cluster:
            yield cluster


@contextmanager
def dask_client(executor: str) -> Iterator[Any]:
    """A client of the scheduler `executor` names; for `local:N`, of a cluster made for the run.

    A local worker's threads are its share of this machine's cores, each running one video.
    """
    from distributed import Client

    workers = local_workers(executor)
    if workers is None:
        try:
            client = Client(executor)
        except OSError as exc:
            raise StageError(
                f"facetrack.executor = {executor!r}: no Dask scheduler answers there ({exc}); "
                "start one with `dask scheduler` (docs/stages/facetrack.md)"
            ) from exc
        with client:
            logger.info("facetrack: on %s, dashboard %s", executor, client.dashboard_link)
            yield client
        return
    with local_cluster(workers) as cluster, Client(cluster) as client:
        logger.info(
            "facetrack: on a local cluster of %d workers, dashboard %s",
            workers,
            _dashboard(client),
        )
        yield client


def _dashboard(client: Any) -> str:
    """Where a local cluster's dashboard is: served only where bokeh is installed."""
    if importlib.util.find_spec("bokeh") is None:
        return f"{client.dashboard_link} (once bokeh is installed: pip install 'bokeh>=3.1')"
    return str(client.dashboard_link)


def run_tasks(
    executor: str,
    work: Callable[[Job], Result],
    jobs: Sequence[Job],
    names: Sequence[str],
    on_error: Callable[[Job, BaseException], Result],
    *,
    retries: int,
    bar: tqdm,
) -> list[Result]:
    """`work(job)` for each job as one Dask task; results in the order of `jobs`.

    `names` name the tasks on the dashboard. A job whose task still fails after the retries
    gets `on_error(job, exception)` instead; `bar` advances as each task ends.
    """
    if not jobs:
        return []
    run = uuid.uuid4().hex[:8]  # a re-run's keys must not meet a past run's on the scheduler
    keys = [f"facetrack-{name}-{run}" for name in names]
    results: dict[str, Result] = {}
    with dask_client(executor) as client:
        from distributed import as_completed

        futures = client.map(work, jobs, key=keys, retries=retries, pure=False)
        position = {future.key: k for k, future in enumerate(futures)}
        for future in as_completed(futures):
            job = jobs[position[future.key]]
            try:
                results[future.key] = future.result()
            except Exception as exc:  # every failure becomes the video's outcome
                logger.debug("facetrack: task %s failed", future.key, exc_info=exc)
                results[future.key] = on_error(job, exc)
            future.release()
            bar.update(1)
    return [results[key] for key in keys]


_DETECTORS: dict[str, RetinaFaceDetector] = {}
_DETECTORS_LOCK = threading.Lock()
_LOADS = [0]  # detectors this process has loaded


def worker_detector(params: FacetrackParams) -> RetinaFaceDetector:
    """This process's detector for `params`, loaded by its first video and kept for the others.

    A worker's threads are its cores (`dask worker --nthreads`) and each runs one video, so a
    video has one core: its `detector.in_flight` calls, and OpenCV's resizes and warps in this
    process, run single-threaded unless `detector.threads` says otherwise. The videos running
    on a worker share the one model.
    """
    threads = params.detector.threads or 1
    key = repr((params.detector, threads))
    with _DETECTORS_LOCK:
        detector = _DETECTORS.get(key)
        if detector is None:
            detector_params = dataclasses.replace(params.detector, threads=threads)
            detector = make_detector(dataclasses.replace(params, detector=detector_params))
            cv2.setNumThreads(threads)  # OpenCV's default: every core, for each video
            _DETECTORS[key] = detector
            _LOADS[0] += 1
            logger.info("facetrack: detector loaded (%d thread(s) a call)", threads)
        return detector


def detectors_loaded() -> int:
    """How many detectors this process has loaded: 1 on a worker that kept its own."""
    return _LOADS[0]
