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

from tqdm.auto import tqdm

from rmfer.errors import StageError
from rmfer.faces.detect import RetinaFaceDetector
from rmfer.faces.executor import local_workers
from rmfer.faces.params import FacetrackParams
from rmfer.faces.stream import available_cores, make_detector

logger = logging.getLogger(__name__)

Job = TypeVar("Job")
Result = TypeVar("Result")


@contextmanager
def dask_client(executor: str) -> Iterator[Any]:
    """A client of the scheduler `executor` names; for `local:N`, of a cluster made for the run.

    A local worker's threads are its share of this machine's cores, each running one video.
    """
    import dask
    from distributed import Client, LocalCluster

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
    # The workers' statistical profiler (the dashboard's Profile page) costs a few per cent of
    # every core; a cluster made for one run does without it.
    with (
        dask.config.set({"distributed.worker.profile.enabled": False}),
        LocalCluster(
            n_workers=workers,
            threads_per_worker=max(1, available_cores() // workers),
            processes=True,
        ) as cluster,
        Client(cluster) as client,
    ):
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
    video has one core: its `detector.in_flight` calls run single-threaded unless
    `detector.threads` says otherwise. The videos running on a worker share the one model.
    """
    threads = params.detector.threads or 1
    key = repr((params.detector, threads))
    with _DETECTORS_LOCK:
        detector = _DETECTORS.get(key)
        if detector is None:
            detector_params = dataclasses.replace(params.detector, threads=threads)
            detector = make_detector(dataclasses.replace(params, detector=detector_params))
            _DETECTORS[key] = detector
            _LOADS[0] += 1
            logger.info("facetrack: detector loaded (%d thread(s) a call)", threads)
        return detector


def detectors_loaded() -> int:
    """How many detectors this process has loaded: 1 on a worker that kept its own."""
    return _LOADS[0]
