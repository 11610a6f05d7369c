"""The facetrack stage: each video of the index -> tracked, aligned faces with one id per person.

Per video: decode a few frames a second (film time) and run the shared per-video core
(`rmfer.faces.stream`), its kept crops streaming to the video's shard; then write the video's
rows. A video done before with the same parameters and the same file is skipped; a bad video is
recorded with its reason and the others go on. Files are written under a temporary name and
renamed, and the video's record (`<video_id>.json`) last, so an interrupted run leaves nothing
that looks finished.

The videos run in this process one after the other, or as one Dask task each on a cluster
(`facetrack.executor`, `rmfer.faces.cluster`): either way the tables are gathered here from the
per-video files, in the index's order, so they are the same bytes.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm.auto import tqdm

from rmfer.errors import InputError, ParameterError, StageError
from rmfer.faces.cluster import run_tasks, worker_detector
from rmfer.faces.detect import RetinaFaceDetector, model_fingerprint
from rmfer.faces.executor import SERIAL
from rmfer.faces.params import FacetrackParams
from rmfer.faces.shards import ShardWriter, read_header
from rmfer.faces.stream import (
    DROP_REASONS,
    FRAME_COLUMNS,
    TRACK_COLUMNS,
    make_detector,
    track_frames,
    typed,
)
from rmfer.files import replace_atomically, warn_orphans, write_atomically
from rmfer.video.decode import DecodeError, ReadablePart, sample_frames
from rmfer.video.probe import ProbeError, probe_video

logger = logging.getLogger(__name__)

DONE, SKIPPED, FAILED = "done", "skipped", "failed"
USABLE = ("downloaded", "already present")  # rm_video_index statuses whose file is in place


class FacetrackError(StageError):
    """Not one video could be processed; the message lists each video's reason."""


@dataclass
class VideoOutcome:
    video_id: str
    status: str
    reason: str = ""
    stats: dict[str, Any] = field(default_factory=dict)


@dataclass
class FacetrackResult:
    tracks: pd.DataFrame
    frames: pd.DataFrame
    report: dict[str, Any]


def run_facetrack(
    index: pd.DataFrame,
    params: FacetrackParams,
    detector_factory: Callable[[], RetinaFaceDetector] | None = None,
) -> FacetrackResult:
    """Every usable video of `index`, where `params.executor` says; the model loaded when needed.

    `detector_factory` replaces the detector of a serial run (benchmarks); a cluster's workers
    each load their own (`rmfer.faces.cluster.worker_detector`).
    """
    missing = {"video_id", "status"} - set(index.columns)
    if missing:
        raise InputError(f"rm_video_index lacks column(s) {sorted(missing)}")
    rows = index[index["status"].isin(USABLE)]
    if rows.empty:
        raise FacetrackError(
            f"rm_video_index has no usable video ({len(index)} rows, statuses "
            f"{dict(Counter(index['status']))}); run the collect stage first"
        )
    if detector_factory is not None and params.executor != SERIAL:
        raise ParameterError(
            f"facetrack.executor = {params.executor!r}: a detector_factory runs serial only"
        )
    out_dir = Path(params.faces_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    run_hash = params.fingerprint(model_fingerprint(params.detector.model))
    plans = [_plan(row, out_dir, run_hash) for row in rows.itertuples(index=False)]
    with tqdm(
        total=len(plans), desc="facetrack: videos", unit="video", disable=not params.progress
    ) as bar:
        if params.executor == SERIAL:
            factory = detector_factory or (lambda: make_detector(params))
            outcomes = _run_serial(plans, factory, params, out_dir, run_hash, bar)
        else:
            outcomes = _run_on_cluster(plans, params, run_hash, bar)
    warn_orphans(
        out_dir,
        "*.npy",
        {o.video_id for o in outcomes},
        "rm_video_index",
        "left out of face_tracks",
    )
    return _collect(out_dir, outcomes, params, run_hash)


@dataclass(frozen=True)
class VideoJob:
    """A video to process: what a worker needs besides the parameters."""

    video_id: str
    path: str
    identity: dict[str, Any]


def _plan(row: Any, out_dir: Path, run_hash: str) -> VideoOutcome | VideoJob:
    """The video's outcome when it needs no work (no path, done before), else its job."""
    video_id = str(row.video_id)
    if not _has(row, "path"):
        return VideoOutcome(video_id, FAILED, "rm_video_index gives no path")
    path = Path(str(row.path))
    identity = _file_identity(path, getattr(row, "sha256", None))
    if _already_done(out_dir, video_id, run_hash, identity):
        return _skipped(out_dir, video_id)
    return VideoJob(video_id, str(path), identity)


def _run_serial(
    plans: list[VideoOutcome | VideoJob],
    factory: Callable[[], RetinaFaceDetector],
    params: FacetrackParams,
    out_dir: Path,
    run_hash: str,
    bar: tqdm,
) -> list[VideoOutcome]:
    """One video after the other in this process, the detector loaded by the first to need it."""
    detector: RetinaFaceDetector | None = None
    outcomes: list[VideoOutcome] = []
    for plan in plans:
        if isinstance(plan, VideoJob):
            if detector is None:
                detector = factory()
            plan = process_video(
                Path(plan.path), plan.video_id, detector, params, out_dir, run_hash, plan.identity
            )
        outcomes.append(plan)
        bar.update(1)
    return outcomes


def _run_on_cluster(
    plans: list[VideoOutcome | VideoJob], params: FacetrackParams, run_hash: str, bar: tqdm
) -> list[VideoOutcome]:
    """One Dask task per video to do; the outcomes in the order of `plans`.

    Workers have their own working directory, so the paths they get are absolute: on a
    cluster, the same paths on a filesystem every machine mounts (docs/stages/facetrack.md).
    """
    jobs = [
        dataclasses.replace(p, path=str(Path(p.path).absolute()))
        for p in plans
        if isinstance(p, VideoJob)
    ]
    bar.update(len(plans) - len(jobs))
    on_worker = dataclasses.replace(
        params, faces_dir=str(Path(params.faces_dir).absolute()), progress=False
    )
    results = iter(
        run_tasks(
            params.executor,
            functools.partial(process_job, params=on_worker, run_hash=run_hash),
            jobs,
            [job.video_id for job in jobs],
            _failed_on_cluster,
            retries=params.executor_retries,
            bar=bar,
        )
    )
    return [next(results) if isinstance(p, VideoJob) else p for p in plans]


def process_job(job: VideoJob, params: FacetrackParams, run_hash: str) -> VideoOutcome:
    """A worker's task: one video with the worker's own detector.

    A video whose record is complete already (its worker died after writing it) is not redone.
    """
    out_dir = Path(params.faces_dir)
    if _already_done(out_dir, job.video_id, run_hash, job.identity):
        return _skipped(out_dir, job.video_id)
    detector = worker_detector(params)
    return process_video(
        Path(job.path), job.video_id, detector, params, out_dir, run_hash, job.identity
    )


def _failed_on_cluster(job: VideoJob, error: BaseException) -> VideoOutcome:
    """A video whose task failed for good: its workers died, or it raised after the retries."""
    reason = f"{type(error).__name__}: {error}".splitlines()[0]
    return VideoOutcome(job.video_id, FAILED, _short(reason, Path(job.path)))


def process_video(
    path: Path,
    video_id: str,
    detector: RetinaFaceDetector,
    params: FacetrackParams,
    out_dir: Path,
    run_hash: str,
    identity: dict[str, Any],
) -> VideoOutcome:
    """One video, end to end; a bad file becomes a `failed` outcome, never an exception."""
    started = time.perf_counter()
    try:
        duration_s = probe_video(path).duration_s
    except ProbeError as exc:
        return VideoOutcome(video_id, FAILED, _short(str(exc), path))
    writer = ShardWriter(out_dir / f"{video_id}.npy", (params.align_size, params.align_size, 3))
    try:
        expected = max(1, round(duration_s * params.sample_rate_hz))
        bar = tqdm(
            total=expected, desc=f"facetrack: {video_id}", unit="frame", disable=not params.progress
        )
        with bar:
            frames = ReadablePart(
                sample_frames(path, params.sample_rate_hz, threads=params.decode_threads)
            )
            tracks, frames_table, stats = track_frames(
                frames, video_id, detector, params, writer, bar.update
            )
    except DecodeError as exc:
        writer.abort()
        return VideoOutcome(video_id, FAILED, _short(str(exc), path))
    except BaseException:
        writer.abort()
        raise
    stats["seconds"] = round(time.perf_counter() - started, 2)
    _write_table(tracks, out_dir / f"{video_id}.faces.parquet")
    _write_table(frames_table, out_dir / f"{video_id}.frames.parquet")
    reason = "" if len(tracks) else _no_face_reason(stats)
    reason = "; ".join(filter(None, [frames.stopped, reason]))  # a corrupt tail: says where
    record = {
        "video_id": video_id,
        "params_hash": run_hash,
        "video": identity,
        "reason": reason,
        "stats": stats,
    }
    write_atomically(out_dir / f"{video_id}.json", json.dumps(record, indent=1, sort_keys=True))
    return VideoOutcome(video_id, DONE, reason, stats)


def _has(row: Any, name: str) -> bool:
    value = getattr(row, name, None)
    return value is not None and not pd.isna(value) and str(value) != ""


def _file_identity(path: Path, sha256: Any) -> dict[str, Any]:
    """What tells a re-run that the file is the one processed before."""
    if sha256 is not None and not pd.isna(sha256) and str(sha256):
        return {"sha256": str(sha256)}
    try:
        stat = path.stat()
    except OSError:
        return {"missing": str(path)}
    return {"size_bytes": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def _already_done(out_dir: Path, video_id: str, run_hash: str, identity: dict[str, Any]) -> bool:
    record_path = out_dir / f"{video_id}.json"
    if not record_path.is_file():
        return False
    try:
        record = json.loads(record_path.read_text())
        shape = read_header(out_dir / f"{video_id}.npy")
    except (OSError, ValueError, SyntaxError):
        return False
    return (
        record.get("params_hash") == run_hash
        and record.get("video") == identity
        and shape[0] == record.get("stats", {}).get("faces")
        and (out_dir / f"{video_id}.faces.parquet").is_file()
        and (out_dir / f"{video_id}.frames.parquet").is_file()
    )


def _skipped(out_dir: Path, video_id: str) -> VideoOutcome:
    record = json.loads((out_dir / f"{video_id}.json").read_text())
    stats = record.get("stats", {})
    stats["drops"] = {r: stats.get("drops", {}).get(r, 0) for r in DROP_REASONS}
    return VideoOutcome(video_id, SKIPPED, record.get("reason", ""), stats)


def _collect(
    out_dir: Path, outcomes: list[VideoOutcome], params: FacetrackParams, run_hash: str
) -> FacetrackResult:
    """The tables of every finished video, the report, and the summary line."""
    finished = [o for o in outcomes if o.status in (DONE, SKIPPED)]
    if not finished:
        lines = "\n".join(f"  {o.video_id}: {o.reason}" for o in outcomes)
        raise FacetrackError(f"facetrack: not one video could be processed:\n{lines}")
    tracks = [pd.read_parquet(out_dir / f"{o.video_id}.faces.parquet") for o in finished]
    frames = [pd.read_parquet(out_dir / f"{o.video_id}.frames.parquet") for o in finished]
    tracks_table = typed(pd.concat(tracks, ignore_index=True), TRACK_COLUMNS)
    frames_table = typed(pd.concat(frames, ignore_index=True), FRAME_COLUMNS)
    report = _report(outcomes, finished, tracks_table, frames_table, params, run_hash)
    for o in outcomes:
        if o.status == FAILED:
            logger.warning("facetrack: %s failed: %s", o.video_id, o.reason)
        elif o.reason:
            logger.warning("facetrack: %s: %s", o.video_id, o.reason)
    logger.info(summary_line(report))
    return FacetrackResult(tracks_table, frames_table, report)


def _report(
    outcomes: list[VideoOutcome],
    finished: list[VideoOutcome],
    tracks_table: pd.DataFrame,
    frames_table: pd.DataFrame,
    params: FacetrackParams,
    run_hash: str,
) -> dict[str, Any]:
    """facetrack_report: the run's totals, and each video's status, reason and figures."""
    status = Counter(o.status for o in outcomes)
    drops: Counter[str] = Counter()
    for o in finished:
        drops.update(o.stats.get("drops", {}))
    return {
        "params_hash": run_hash,
        "detector": params.detector.model,
        "sample_rate_hz": params.sample_rate_hz,
        "videos": {
            "total": len(outcomes),
            **{s: status.get(s, 0) for s in (DONE, SKIPPED, FAILED)},
        },
        "sampled_frames": len(frames_table),
        "detections": int(sum(o.stats.get("detections", 0) for o in finished)),
        "faces": len(tracks_table),
        "persons": int(sum(o.stats.get("persons", 0) for o in finished)),
        "drops": {r: int(drops.get(r, 0)) for r in DROP_REASONS},
        "per_video": {
            o.video_id: {"status": o.status, "reason": o.reason, **o.stats} for o in outcomes
        },
    }


def summary_line(report: dict[str, Any]) -> str:
    v, d = report["videos"], report["drops"]
    drops = ", ".join(f"{n} {r}" for r, n in d.items())
    return (
        f"facetrack: {v['total']} videos ({v[DONE]} done, {v[SKIPPED]} skipped, {v[FAILED]} "
        f"failed), {report['sampled_frames']} sampled frames, {report['faces']} faces, "
        f"{report['persons']} persons; dropped {drops}"
    )


def _no_face_reason(stats: dict[str, Any]) -> str:
    if stats["detections"] == 0:
        return f"no face found in {stats['sampled_frames']} sampled frames"
    drops = ", ".join(f"{n} {r}" for r, n in stats["drops"].items() if n)
    return f"all {stats['detections']} detected faces were dropped ({drops})"


def _short(message: str, path: Path) -> str:
    return message.replace(str(path), path.name)


def _write_table(table: pd.DataFrame, path: Path) -> None:
    replace_atomically(path, lambda partial: table.to_parquet(partial, index=False))
