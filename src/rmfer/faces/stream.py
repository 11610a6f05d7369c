"""The per-video core that facetrack and `rmfer predict` share: frames in, face rows out.

Detect in batches (the detector working ahead of the tracker), track online, align and check
each face, and stream the kept crops into a sink: a shard on disk for facetrack
(`rmfer.faces.stage`), the network for predict. Nothing here writes files of its own, so both
callers run exactly the same detection, tracking, alignment and quality checks.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Protocol

import numpy as np
import pandas as pd

from rmfer.faces import quality
from rmfer.faces.align import similarity_transforms, warp_aligned
from rmfer.faces.detect import Faces, RetinaFaceDetector
from rmfer.faces.identity import Fragment, descriptor, link_fragments
from rmfer.faces.params import FacetrackParams
from rmfer.faces.track import CutDetector, IouTracker
from rmfer.video.decode import SampledFrame

FEW_FACES = "few_faces"
DROP_REASONS = (*quality.REASONS, FEW_FACES)
QUALITY_OK = "ok"  # the `quality` of a face that every check keeps (every_face mode)
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


def typed(rows: list[dict[str, Any]] | pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """Every column present and typed, so an empty table keeps the schema."""
    frame = pd.DataFrame(rows, columns=list(columns))
    return frame.astype(columns)


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
    every_face: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Detect, track, align and check the faces of `frames`; kept crops stream into `sink`.

    Returns the face rows (TRACK_COLUMNS; `offset` is the row's index among the kept crops),
    the sampled frames (FRAME_COLUMNS) and the statistics. A DecodeError from `frames`
    propagates. With `every_face` (predict), every detected face is kept, its crop included,
    and a `quality` column names the checks it fails (`small+profile`, `few_faces`, or `ok`);
    persons are still linked by the faces that pass, so they are facetrack's persons.
    """
    detected = _detect_ahead(
        iter(frames), detector, params.detector.batch_size, params.detector.in_flight
    )
    return track_detected(detected, video_id, params, sink, progress, every_face)


def track_detected(
    detected: Iterable[tuple[list[SampledFrame], list[Faces]]],
    video_id: str,
    params: FacetrackParams,
    sink: CropSink,
    progress: Callable[[int], Any] | None = None,
    every_face: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """`track_frames` for frames whose faces are found already: batches with their faces."""
    state = _VideoState(video_id, params, sink, every_face)
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


def _geometry(boxes: np.ndarray) -> np.ndarray:
    """(cx, cy, side) of each box: where a face sits and how big it is, for joining tracks."""
    return np.stack(
        [
            (boxes[:, 0] + boxes[:, 2]) / 2,
            (boxes[:, 1] + boxes[:, 3]) / 2,
            np.minimum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]),
        ],
        axis=1,
    ).astype(np.float64)


class _VideoState:
    """What one video accumulates while it streams: a few numbers per face, none of the pixels."""

    def __init__(
        self, video_id: str, params: FacetrackParams, writer: CropSink, every_face: bool = False
    ) -> None:
        self.video_id = video_id
        self.every_face = every_face
        self.params = params
        self.writer = writer
        tp = params.tracking
        self.tracker = IouTracker(min_iou=tp.min_iou, max_gap=tp.max_gap)
        self.cuts = CutDetector(
            cell_threshold=tp.cut_cell_threshold, min_changed=tp.cut_min_changed
        )
        self.segment = 0
        self.frames: list[tuple[int, float, int, int]] = []  # frame_idx, time, segment, count
        # Per sampled frame with faces: (step, track ids, boxes, scores, landmarks, offsets,
        # passed, flaws); offset -1 marks a face whose crop was dropped, `passed` the faces
        # whose crops facetrack keeps, `flaws` the failed checks (every_face mode only).
        self.faces: list[tuple[Any, ...]] = []
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
        geometry = _geometry(boxes)
        reasons = quality.shape_reasons(boxes, faces.landmarks, self.params.quality)
        offsets = np.full(len(faces), -1, np.int64)
        alignments = similarity_transforms(faces.landmarks, self.params.align_size)
        for k, track in enumerate(ids.tolist()):
            reason = reasons[k]
            if reason is None:
                reason, offsets[k] = self._align(frame.image, alignments[k], track)
            if reason is not None:
                self.drops[reason] += 1
            if track in self.track_geometry:
                self.track_geometry[track] += geometry[k]
            else:
                self.track_geometry[track] = geometry[k].copy()
                self.track_segment[track] = self.segment
            self.track_steps[track].append(step)
        passed = offsets >= 0
        flaws = np.full(len(faces), "", object)
        if self.every_face:
            flaws = self._crop_dropped(frame.image, faces, alignments, offsets)
        landmarks = faces.landmarks.reshape(-1, 10)
        self.faces.append((step, ids, boxes, faces.scores, landmarks, offsets, passed, flaws))

    def _crop_dropped(
        self, image: np.ndarray, faces: Faces, alignments: np.ndarray, offsets: np.ndarray
    ) -> np.ndarray:
        """every_face: the dropped faces' crops go to the sink too; each face's failed checks.

        The checks are facetrack's (`quality`), all of them, where facetrack stops at the first.
        """
        q = self.params.quality
        boxes = faces.boxes
        sides = np.minimum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
        turned = quality.profiles(faces.landmarks)
        flaws = np.full(len(faces), "", object)
        for k in np.flatnonzero(offsets < 0).tolist():
            crop = warp_aligned(image, alignments[k], self.params.align_size)
            offsets[k] = self.writer.append(crop)
            failed = (
                (quality.SMALL, sides[k] < q.min_face_px),
                (quality.BLURRY, quality.sharpness(crop) < q.min_sharpness),
                (quality.PROFILE, turned[k] > q.max_profile),
            )
            flaws[k] = "+".join(name for name, fails in failed if fails)
        return flaws

    def _align(
        self, image: np.ndarray, alignment: np.ndarray, track: int
    ) -> tuple[str | None, int]:
        """Crop one face that passed the shape checks: (BLURRY, -1), or (None, its offset)."""
        size, ident = self.params.align_size, self.params.identity
        crop = warp_aligned(image, alignment, size)
        if quality.sharpness(crop) < self.params.quality.min_sharpness:
            return quality.BLURRY, -1
        offset = self.writer.append(crop)
        if self.track_kept[track] % ident.descriptor_every == 0:
            desc = descriptor(image, alignment, size, ident.context, ident.bins, ident.grid)
            if track in self.track_desc:
                self.track_desc[track] += desc
            else:
                self.track_desc[track] = desc.astype(np.float64)
        self.track_kept[track] += 1
        return None, offset

    def _persons(self, tracks: list[int]) -> dict[int, int]:
        """Each track's person, from where its faces sat and what they looked like."""
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
        return dict(zip(tracks, links, strict=True))

    def _all_faces(self) -> tuple[np.ndarray, ...]:
        """step, track, boxes, scores, landmarks, offsets, passed and flaws of every face,
        frame after frame."""
        if not self.faces:
            step = track = offsets = np.zeros(0, np.int64)
            boxes, scores, points = np.zeros((0, 4)), np.zeros(0), np.zeros((0, 10))
            passed, flaws = np.zeros(0, bool), np.zeros(0, object)
            return step, track, boxes, scores, points, offsets, passed, flaws
        step = np.concatenate([np.full(len(f[1]), f[0]) for f in self.faces])
        return (step, *(np.concatenate([f[i] for f in self.faces]) for i in range(1, 8)))

    def finish(self) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
        """Join tracks into persons, drop rare persons, write the shard; the video's tables."""
        tracks = sorted(self.track_geometry)
        person_of = self._persons(tracks)
        step, track, boxes, scores, points, offsets, passed, flaws = self._all_faces()
        person = np.array([person_of[t] for t in track.tolist()], np.int64)
        seen = Counter(person.tolist())
        rare = np.array([seen[p] < self.params.identity.min_faces for p in person.tolist()], bool)
        keep = np.ones(len(track), bool) if self.every_face else passed & ~rare
        self.drops[FEW_FACES] += int((passed & rare).sum())
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
        stats = {
            "sampled_frames": len(self.frames),
            "detections": len(track),
            "faces": int(keep.sum()),
            "tracks": len(tracks),
            "persons": len(renumber),
            "segments": self.segment + 1,
            "drops": {r: int(self.drops.get(r, 0)) for r in DROP_REASONS},
        }
        frames = self._frame_table(Counter(step[keep].tolist()))
        table = typed(table, TRACK_COLUMNS)
        if self.every_face:
            named = [f"{f}+{FEW_FACES}" if r else f for f, r in zip(flaws, rare, strict=True)]
            table["quality"] = pd.Series(
                [name.strip("+") or QUALITY_OK for name in named], dtype="string"
            )
        return table, frames, stats

    def _frame_table(self, kept_per_step: Counter[int]) -> pd.DataFrame:
        """One row per sampled frame: its segment, its detections and the faces kept."""
        return typed(
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
