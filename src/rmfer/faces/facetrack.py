"""The facetrack stage: each video of the index -> tracked, aligned faces with one id per person.

Per video: decode a few frames a second (film time), detect in batches, track online, align and
check each face, stream the kept crops to the video's shard; then join tracks into persons and
write the video's rows. A video done before with the same parameters and the same file is
skipped; a bad video is recorded with its reason and the others go on. Files are written under a
temporary name and renamed, and the video's record (`<video_id>.json`) last, so an interrupted
run leaves nothing that looks finished.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from rmfer.faces import quality
from rmfer.faces.align import similarity_transforms, warp_aligned
from rmfer.faces.detect import Faces, RetinaFaceDetector, model_fingerprint
from rmfer.faces.identity import Fragment, descriptor, link_fragments
from rmfer.faces.params import FacetrackParams
from rmfer.faces.shards import ShardWriter, read_header
from rmfer.faces.track import CutDetector, IouTracker
from rmfer.files import replace_atomically, write_atomically
from rmfer.video.decode import DecodeError, SampledFrame, sample_frames
from rmfer.video.probe import ProbeError, probe_video

logger = logging.getLogger(__name__)

DONE, SKIPPED, FAILED = "done", "skipped", "failed"
USABLE = ("downloaded", "already present")  # rm_video_index statuses whose file is in place
FEW_FACES = "few_faces"
DROP_REASONS = (*quality.REASONS, FEW_FACES)
LANDMARK_COLUMNS = tuple(f"lm{i}_{axis}" for i in range(5) for axis in "xy")
TRACK_COLUMNS: dict[str, str] = {
    "video_id": "string",
    "frame_idx": "int64",
    "time_s": "float64",
    "person_id": "int64",
    "track_id": "int64",  # the fragment between cuts and gaps the face was tracked in
    "x1": "float32",
    "y1": "float32",
    "x2": "float32",
    "y2": "float32",
    "score": "float32",
    **dict.fromkeys(LANDMARK_COLUMNS, "float32"),
    "shard": "string",  # file name inside the rm_faces folder
    "offset": "int64",  # row of the crop in that shard
}
FRAME_COLUMNS: dict[str, str] = {
    "video_id": "string",
    "frame_idx": "int64",
    "time_s": "float64",
    "segment": "int64",  # stretches between scene cuts or layout changes, from 0
    "detections": "int64",
    "faces": "int64",  # detections kept in face_tracks
}


class FacetrackError(RuntimeError):
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


def typed(rows: list[dict[str, Any]] | pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """Every column present and typed, so an empty table keeps the schema."""
    frame = pd.DataFrame(rows, columns=list(columns))
    return frame.astype(columns)


def run_facetrack(
    index: pd.DataFrame,
    params: FacetrackParams,
    detector_factory: Callable[[], RetinaFaceDetector] | None = None,
) -> FacetrackResult:
    """Every usable video of `index`; the model is loaded only when a video needs it."""
    missing = {"video_id", "status"} - set(index.columns)
    if missing:
        raise ValueError(f"rm_video_index lacks column(s) {sorted(missing)}")
    rows = index[index["status"].isin(USABLE)]
    if rows.empty:
        raise FacetrackError(
            f"rm_video_index has no usable video ({len(index)} rows, statuses "
            f"{dict(Counter(index['status']))}); run the collect stage first"
        )
    out_dir = Path(params.faces_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    factory = detector_factory or (lambda: make_detector(params))
    run_hash = params.fingerprint(model_fingerprint(params.detector.model))
    detector: RetinaFaceDetector | None = None
    outcomes: list[VideoOutcome] = []
    for row in tqdm(
        list(rows.itertuples(index=False)),
        desc="facetrack: videos",
        unit="video",
        disable=not params.progress,
    ):
        video_id = str(row.video_id)
        if not _has(row, "path"):
            outcomes.append(VideoOutcome(video_id, FAILED, "rm_video_index gives no path"))
            continue
        path = Path(str(row.path))
        identity = _file_identity(path, getattr(row, "sha256", None))
        if _already_done(out_dir, video_id, run_hash, identity):
            outcomes.append(_skipped(out_dir, video_id))
            continue
        if detector is None:
            detector = factory()
        outcomes.append(
            process_video(path, video_id, detector, params, out_dir, run_hash, identity)
        )
    _warn_orphans(out_dir, {o.video_id for o in outcomes})
    return _collect(out_dir, outcomes, params, run_hash)


def make_detector(params: FacetrackParams) -> RetinaFaceDetector:
    d = params.detector
    return RetinaFaceDetector(
        d.model,
        score_threshold=d.score_threshold,
        nms_threshold=d.nms_threshold,
        min_face_px=d.min_face_px,
        max_side=d.max_side,
        threads=d.threads or max(1, available_cores() // d.in_flight),
        providers=d.providers,
    )


def available_cores() -> int:
    """The cores this process may run on (a container or `taskset` may allow fewer than exist)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


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
            frames = sample_frames(path, params.sample_rate_hz, threads=params.decode_threads)
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
    record = {
        "video_id": video_id,
        "params_hash": run_hash,
        "video": identity,
        "reason": reason,
        "stats": stats,
    }
    write_atomically(out_dir / f"{video_id}.json", json.dumps(record, indent=1, sort_keys=True))
    return VideoOutcome(video_id, DONE, reason, stats)


class CropSink(Protocol):
    """Where the kept aligned crops go: a shard on disk (ShardWriter) or, for predict, a network.

    `append` takes each crop as it is made and returns its provisional index; `finish` gets the
    provisional indices of the crops kept in the video's table, in table order.
    """

    def append(self, crop: np.ndarray) -> int: ...

    def finish(self, keep: np.ndarray) -> Any: ...


def track_frames(
    frames: Iterable[SampledFrame],
    video_id: str,
    detector: RetinaFaceDetector,
    params: FacetrackParams,
    sink: CropSink,
    progress: Callable[[int], Any] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Detect, track, align and check the faces of `frames`; kept crops stream into `sink`.

    The per-video work of facetrack without its files, so that `rmfer predict` runs exactly the
    same detection, tracking, alignment and quality checks on any video or image. Returns the
    face rows (TRACK_COLUMNS; `offset` is the row's index among the kept crops), the sampled
    frames (FRAME_COLUMNS) and the statistics. A DecodeError from `frames` propagates.
    """
    detected = _detect_ahead(
        iter(frames), detector, params.detector.batch_size, params.detector.in_flight
    )
    return track_detected(detected, video_id, params, sink, progress)


def track_detected(
    detected: Iterable[tuple[list[SampledFrame], list[Faces]]],
    video_id: str,
    params: FacetrackParams,
    sink: CropSink,
    progress: Callable[[int], Any] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """`track_frames` for frames whose faces are found already: batches with their faces."""
    state = _VideoState(video_id, params, sink)
    for batch, found in detected:
        state.add(batch, found)
        if progress is not None:
            progress(len(batch))
    return state.finish()


def _detect_ahead(
    frames: Iterator[SampledFrame], detector: RetinaFaceDetector, batch_size: int, in_flight: int
) -> Iterator[tuple[list[SampledFrame], list[Faces]]]:
    """Batches with their faces, in order, the detector working on the next `in_flight` batches.

    onnxruntime releases the GIL, so decoding and tracking and aligning run while the network
    works. Several single-threaded calls at once keep the cores busier than one call spread
    over them, which waits at every layer for its slowest thread. At most in_flight + 1 batches
    of frames are held.
    """
    with ThreadPoolExecutor(max_workers=in_flight, thread_name_prefix="detect") as pool:
        pending: deque[tuple[list[SampledFrame], Future[list[Faces]]]] = deque()
        for batch in _batches(frames, batch_size):
            pending.append((batch, pool.submit(detector.detect, [f.image for f in batch])))
            if len(pending) > in_flight:
                done, found = pending.popleft()
                yield done, found.result()
        while pending:
            done, found = pending.popleft()
            yield done, found.result()


def _batches(frames: Iterator[SampledFrame], size: int) -> Iterator[list[SampledFrame]]:
    """Up to `size` frames at a time, all of one image size (a stream may change resolution)."""
    batch: list[SampledFrame] = []
    for frame in frames:
        if batch and frame.image.shape != batch[0].image.shape:
            yield batch
            batch = []
        batch.append(frame)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


class _VideoState:
    """What one video accumulates while it streams: a few numbers per face, none of the pixels."""

    def __init__(self, video_id: str, params: FacetrackParams, writer: CropSink) -> None:
        self.video_id = video_id
        self.params = params
        self.writer = writer
        tp = params.tracking
        self.tracker = IouTracker(min_iou=tp.min_iou, max_gap=tp.max_gap)
        self.cuts = CutDetector(
            cell_threshold=tp.cut_cell_threshold, min_changed=tp.cut_min_changed
        )
        self.segment = 0
        self.frames: list[tuple[int, float, int, int]] = []  # frame_idx, time, segment, count
        # Per sampled frame with faces: (step, track ids, boxes, scores, landmarks, offsets);
        # offset -1 marks a face whose crop was dropped.
        self.faces: list[tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]]
        self.faces = []
        self.track_desc: dict[int, np.ndarray] = {}  # sum of sampled descriptors
        self.track_kept: Counter[int] = Counter()  # kept faces per track
        self.track_steps: dict[int, list[int]] = defaultdict(list)
        self.track_geometry: dict[int, np.ndarray] = {}  # sum of (cx, cy, side)
        self.track_segment: dict[int, int] = {}
        self.drops: Counter[str] = Counter()

    def add(self, frames: list[SampledFrame], found: list[Faces]) -> None:
        for frame, faces in zip(frames, found, strict=True):
            self._add_frame(frame, faces)

    def _add_frame(self, frame: SampledFrame, faces: Faces) -> None:
        size, ident, quality_params = (
            self.params.align_size,
            self.params.identity,
            self.params.quality,
        )
        step = len(self.frames)
        if self.cuts.is_cut(frame.image):
            self.tracker.cut()
            self.segment += 1
        self.frames.append((frame.index, frame.time_s, self.segment, len(faces)))
        if not len(faces):
            self.tracker.update(faces.boxes)
            return
        ids = self.tracker.update(faces.boxes)
        boxes = faces.boxes
        geometry = np.stack(
            [
                (boxes[:, 0] + boxes[:, 2]) / 2,
                (boxes[:, 1] + boxes[:, 3]) / 2,
                np.minimum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]),
            ],
            axis=1,
        ).astype(np.float64)
        reasons = quality.shape_reasons(boxes, faces.landmarks, quality_params)
        offsets = np.full(len(faces), -1, np.int64)
        alignments = similarity_transforms(faces.landmarks, size)
        for k, track in enumerate(ids.tolist()):
            reason = reasons[k]
            if reason is None:
                alignment = alignments[k]
                crop = warp_aligned(frame.image, alignment, size)
                if quality.sharpness(crop) < quality_params.min_sharpness:
                    reason = quality.BLURRY
                else:
                    offsets[k] = self.writer.append(crop)
                    if self.track_kept[track] % ident.descriptor_every == 0:
                        desc = descriptor(
                            frame.image, alignment, size, ident.context, ident.bins, ident.grid
                        )
                        if track in self.track_desc:
                            self.track_desc[track] += desc
                        else:
                            self.track_desc[track] = desc.astype(np.float64)
                    self.track_kept[track] += 1
            if reason is not None:
                self.drops[reason] += 1
            if track in self.track_geometry:
                self.track_geometry[track] += geometry[k]
            else:
                self.track_geometry[track] = geometry[k].copy()
                self.track_segment[track] = self.segment
            self.track_steps[track].append(step)
        self.faces.append(
            (
                step,
                ids,
                boxes,
                faces.scores,
                faces.landmarks.reshape(-1, 10),
                offsets,
            )
        )

    def finish(self) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
        """Join tracks into persons, drop rare persons, write the shard; the video's tables."""
        tracks = sorted(self.track_geometry)
        dims = len(next(iter(self.track_desc.values()))) if self.track_desc else 1
        fragments = []
        for t in tracks:
            steps = np.array(self.track_steps[t])
            geometry = self.track_geometry[t] / len(steps)
            # A track of dropped faces only has no appearance: it can still join by place.
            desc = self.track_desc.get(t, np.zeros(dims))
            fragments.append(
                Fragment(t, self.track_segment[t], steps, geometry[:2], float(geometry[2]), desc)
            )
        links = link_fragments(fragments, self.params.identity)
        person_of = dict(zip(tracks, links, strict=True))
        if self.faces:
            step = np.concatenate([np.full(len(f[1]), f[0]) for f in self.faces])
            track, boxes, scores, points, offsets = (
                np.concatenate([f[i] for f in self.faces]) for i in range(1, 6)
            )
        else:
            step = track = offsets = np.zeros(0, np.int64)
            boxes, scores, points = np.zeros((0, 4)), np.zeros(0), np.zeros((0, 10))
        person = np.array([person_of[t] for t in track.tolist()], np.int64)
        seen = Counter(person.tolist())
        rare = np.array([seen[p] < self.params.identity.min_faces for p in person.tolist()], bool)
        keep = (offsets >= 0) & ~rare
        self.drops[FEW_FACES] += int(((offsets >= 0) & rare).sum())
        renumber: dict[int, int] = {}
        for p in person[keep].tolist():
            renumber.setdefault(p, len(renumber))
        self.writer.finish(offsets[keep])
        frame_info = np.array([(idx, t) for idx, t, _, _ in self.frames], np.float64).reshape(-1, 2)
        table = pd.DataFrame(boxes[keep], columns=["x1", "y1", "x2", "y2"])
        table["score"] = scores[keep]
        table[list(LANDMARK_COLUMNS)] = points[keep]
        table.insert(0, "video_id", self.video_id)
        table.insert(1, "frame_idx", frame_info[step[keep], 0].astype(np.int64))
        table.insert(2, "time_s", frame_info[step[keep], 1])
        table.insert(3, "person_id", [renumber[p] for p in person[keep].tolist()])
        table.insert(4, "track_id", track[keep])
        table["shard"] = f"{self.video_id}.npy"
        table["offset"] = np.arange(int(keep.sum()))
        kept_per_step = Counter(step[keep].tolist())
        frames = typed(
            [
                {
                    "video_id": self.video_id,
                    "frame_idx": idx,
                    "time_s": t,
                    "segment": seg,
                    "detections": n,
                    "faces": kept_per_step.get(k, 0),
                }
                for k, (idx, t, seg, n) in enumerate(self.frames)
            ],
            FRAME_COLUMNS,
        )
        stats = {
            "sampled_frames": len(self.frames),
            "detections": len(track),
            "faces": int(keep.sum()),
            "tracks": len(tracks),
            "persons": len(renumber),
            "segments": self.segment + 1,
            "drops": {r: int(self.drops.get(r, 0)) for r in DROP_REASONS},
        }
        return typed(table, TRACK_COLUMNS), frames, stats


def _warn_orphans(out_dir: Path, listed: set[str]) -> None:
    """Shards of videos the index no longer lists stay on disk but are not in face_tracks."""
    orphans = sorted(p.stem for p in out_dir.glob("*.npy") if p.stem not in listed)
    if orphans:
        logger.warning(
            "%s holds the shards of %d video(s) that rm_video_index does not list (%s%s); they "
            "are left in place and left out of face_tracks: delete them if unwanted",
            out_dir,
            len(orphans),
            ", ".join(orphans[:5]),
            " ..." if len(orphans) > 5 else "",
        )


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
    status = Counter(o.status for o in outcomes)
    drops: Counter[str] = Counter()
    for o in finished:
        drops.update(o.stats.get("drops", {}))
    report = {
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
    for o in outcomes:
        if o.status == FAILED:
            logger.warning("facetrack: %s failed: %s", o.video_id, o.reason)
        elif o.reason:
            logger.warning("facetrack: %s: %s", o.video_id, o.reason)
    logger.info(summary_line(report))
    return FacetrackResult(tracks_table, frames_table, report)


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
