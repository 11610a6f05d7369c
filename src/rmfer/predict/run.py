"""`rmfer predict`: expressions per face and person for any image, video or folder of them.

Each input runs through facetrack's own per-video code (`track_frames`: the same detector,
tracker, alignment and quality checks, with the same parameters). Every detected face is
classified, the checks it fails named in its `quality` (`--min-quality` leaves out the faces
below a quality), the network's crops go in batches, probabilities are smoothed per person
when asked (`--smooth`), and the outputs are written under the output folder. An input that
cannot be read is recorded with its reason and the others go on; the caller decides the exit
status from the results.
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image, ImageOps, UnidentifiedImageError
from tqdm.auto import tqdm

from rmfer.errors import ParameterError
from rmfer.faces.detect import RetinaFaceDetector
from rmfer.faces.params import FacetrackParams
from rmfer.faces.stream import make_detector, track_detected, track_frames
from rmfer.files import replace_atomically, write_atomically
from rmfer.predict.draw import draw_faces
from rmfer.predict.inputs import IMAGE, IMAGE_SUFFIXES, VIDEO, VIDEO_SUFFIXES, Input, find_inputs
from rmfer.predict.model import BatchClassifier, PredictModel, ProbabilitySink
from rmfer.predict.plots import timeline_plot
from rmfer.predict.quality import ANY, select, tolerated_flaws
from rmfer.predict.smooth import smooth_table
from rmfer.predict.table import prediction_table, summary_line
from rmfer.video.decode import DecodeError, SampledFrame, sample_frames
from rmfer.video.encode import encode_mp4
from rmfer.video.probe import ProbeError, probe_video

DONE, FAILED = "done", "failed"
RESERVED = ("summary",)  # the run's own file stem in the output folder


@dataclass(frozen=True)
class PredictOptions:
    out_dir: Path
    annotate: bool = False  # an annotated mp4 per video (images are always annotated)
    batch_size: int = 64  # crops per network call
    image_group: int = 32  # images whose crops share network batches before their files are written
    progress: bool = True
    min_quality: str = ANY  # the worst face quality kept in the tables (rmfer.predict.quality)
    smooth_s: float = 0.0  # window of the per-person moving average; 0: none


@dataclass
class InputResult:
    path: Path
    kind: str
    status: str
    reason: str = ""
    table: pd.DataFrame | None = None
    frames: int = 0
    summary: str = ""
    outputs: list[Path] = field(default_factory=list)


def image_params(params: FacetrackParams) -> FacetrackParams:
    """An image is a video of one frame: a face seen once is a person, not a false detection."""
    return dataclasses.replace(params, identity=dataclasses.replace(params.identity, min_faces=1))


def predict(
    paths: Iterable[str | Path],
    model: PredictModel,
    params: FacetrackParams,
    options: PredictOptions,
    detector: RetinaFaceDetector | None = None,
    echo: Callable[[str], None] = tqdm.write,
) -> list[InputResult]:
    """Every input under `paths`; one summary line each through `echo`, and `summary.csv`."""
    tolerated_flaws(options.min_quality)  # a wrong value fails before any input is read
    if not options.smooth_s >= 0:
        raise ParameterError(f"--smooth is {options.smooth_s}: a window in seconds, 0 or more")
    inputs = find_inputs(paths)
    options.out_dir.mkdir(parents=True, exist_ok=True)
    detector = detector or make_detector(params)
    classifier = BatchClassifier(model, options.batch_size)
    stems = _Stems()
    results: list[InputResult] = []
    bar = tqdm(total=len(inputs), desc="predict", unit="input", disable=not options.progress)
    with bar:
        pending: list[tuple[Input, str, np.ndarray]] = []  # readable images of the group
        for item in inputs:
            image = None if item.error or item.kind == VIDEO else _read_image(item.path)
            if item.error:
                results.append(_failed(item, item.error, echo))
            elif image is not None:
                pending.append((item, stems.take(item.path), image))
            elif item.kind == IMAGE:
                results.append(_failed(item, _image_error(item.path), echo))
            else:  # a video, or a file of unknown kind that is no image: try it as a video
                stem = stems.take(item.path)
                results.append(
                    _predict_video(item, stem, detector, classifier, params, options, echo)
                )
            if len(pending) >= options.image_group:
                results.extend(
                    _predict_images(pending, detector, classifier, params, options, echo)
                )
                pending = []
            bar.update(1)
        results.extend(_predict_images(pending, detector, classifier, params, options, echo))
    order = {item.path: k for k, item in enumerate(inputs)}
    results.sort(key=lambda r: order.get(r.path, len(order)))
    write_summary(results, options.out_dir / "summary.csv")
    return results


class _Stems:
    """Output names: the input's stem, made unique within the run (a/x.jpg and b/x.jpg)."""

    def __init__(self) -> None:
        self.used: set[str] = set(RESERVED)

    def take(self, path: Path) -> str:
        stem, k = path.stem, 1
        while stem in self.used:
            k += 1
            stem = f"{path.stem}-{k}"
        self.used.add(stem)
        return stem


def _read_image(path: Path) -> np.ndarray | None:
    """RGB uint8, turned upright by its EXIF orientation; None when it is not an image."""
    try:
        with Image.open(path) as opened:
            return np.asarray(ImageOps.exif_transpose(opened).convert("RGB"))
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None


def unsupported(path: Path) -> str:
    images, videos = (" ".join(sorted(s)) for s in (IMAGE_SUFFIXES, VIDEO_SUFFIXES))
    return (
        f"{path}: unsupported input: neither an image nor a video that can be read "
        f"(images: {images}; videos: {videos})"
    )


def _image_error(path: Path) -> str:
    return f"{path}: not a readable image (the file is damaged or not in an image format)"


def _failed(item: Input, reason: str, echo: Callable[[str], None]) -> InputResult:
    echo(f"FAILED {reason}")
    return InputResult(item.path, item.kind, FAILED, reason)


def _predict_video(
    item: Input,
    stem: str,
    detector: RetinaFaceDetector,
    classifier: BatchClassifier,
    params: FacetrackParams,
    options: PredictOptions,
    echo: Callable[[str], None],
) -> InputResult:
    path = item.path
    try:
        info = probe_video(path)
    except ProbeError as exc:
        reason = str(exc) if item.kind == VIDEO else unsupported(path)
        return _failed(item, reason, echo)
    sink = ProbabilitySink(classifier)
    expected = max(1, math.floor(info.duration_s * params.sample_rate_hz) + 1)
    bar = tqdm(
        total=expected,
        desc=f"  {path.name}",
        unit="frame",
        leave=False,
        disable=not options.progress,
    )
    try:
        with bar:
            frames = sample_frames(path, params.sample_rate_hz, threads=params.decode_threads)
            tracks, frames_table, _ = track_frames(
                frames, path.name, detector, params, sink, bar.update, every_face=True
            )
    except DecodeError as exc:
        sink.abort()
        return _failed(item, str(exc), echo)
    labels = classifier.model.labels
    table, dropped = final_table(str(path), tracks, sink.probabilities(), labels, options)
    outputs = write_table(table, options.out_dir / stem)
    title = f"{path.name}: expression probabilities per person"
    outputs.append(timeline_plot(table, labels, title, options.out_dir / f"{stem}.timeline.png"))
    if options.annotate:
        target = options.out_dir / f"{stem}.annotated.mp4"
        try:
            outputs.append(
                annotate_video(
                    path, table, frames_table, labels, info.fps, target, options.progress
                )
            )
        except DecodeError as exc:
            return _failed(item, f"annotating: {exc}", echo)
    result = InputResult(path, VIDEO, DONE, table=table, frames=len(frames_table), outputs=outputs)
    result.summary = summary_line(path.name, VIDEO, len(frames_table), table, labels, dropped)
    echo(result.summary)
    return result


def _predict_images(
    group: list[tuple[Input, str, np.ndarray]],
    detector: RetinaFaceDetector,
    classifier: BatchClassifier,
    params: FacetrackParams,
    options: PredictOptions,
    echo: Callable[[str], None],
) -> list[InputResult]:
    """Detect and align a group of images, classify their crops together, then write each."""
    one_frame = image_params(params)
    # Images of different sizes go one per call; the calls overlap as facetrack's batches do.
    with ThreadPoolExecutor(max_workers=params.detector.in_flight) as pool:
        faces = list(pool.map(lambda entry: detector.detect([entry[2]])[0], group))
    found = []
    for (item, stem, image), image_faces in zip(group, faces, strict=True):
        sink = ProbabilitySink(classifier)
        detected = [([SampledFrame(0, 0.0, image)], [image_faces])]
        tracks, _, _ = track_detected(detected, item.path.name, one_frame, sink, every_face=True)
        found.append((item, stem, image, tracks, sink))
    labels = classifier.model.labels
    results = []
    for item, stem, image, tracks, sink in found:
        probs = sink.probabilities()
        table, dropped = final_table(str(item.path), tracks, probs, labels, options)
        outputs = write_table(table, options.out_dir / stem)
        annotated = options.out_dir / f"{stem}.annotated.png"
        Image.fromarray(draw_faces(image, table, labels)).save(annotated)
        outputs.append(annotated)
        result = InputResult(item.path, IMAGE, DONE, table=table, frames=1, outputs=outputs)
        result.summary = summary_line(item.path.name, IMAGE, 1, table, labels, dropped)
        echo(result.summary)
        results.append(result)
    return results


def final_table(
    name: str,
    tracks: pd.DataFrame,
    probs: np.ndarray,
    labels: tuple[str, ...],
    options: PredictOptions,
) -> tuple[pd.DataFrame, Counter[str]]:
    """The rows --min-quality keeps, smoothed over the kept rows; the qualities left out."""
    table, dropped = select(prediction_table(name, tracks, probs, labels), options.min_quality)
    if options.smooth_s > 0:
        table = smooth_table(table, labels, options.smooth_s)
    return table, dropped


def write_table(table: pd.DataFrame, base: Path) -> list[Path]:
    """`<base>.csv` and `<base>.parquet`, each written whole under a temporary name first."""
    paths = []
    for suffix, write in ((".csv", _to_csv), (".parquet", _to_parquet)):
        final = base.with_name(base.name + suffix)
        replace_atomically(final, lambda partial, write=write: write(table, partial))
        paths.append(final)
    return paths


def _to_csv(table: pd.DataFrame, path: Path) -> None:
    table.to_csv(path, index=False, float_format="%.6g")


def _to_parquet(table: pd.DataFrame, path: Path) -> None:
    table.to_parquet(path, index=False)


def annotate_video(
    path: Path,
    table: pd.DataFrame,
    frames_table: pd.DataFrame,
    labels: tuple[str, ...],
    fps: float,
    target: Path,
    progress: bool = True,
) -> Path:
    """Every frame of the video, with the boxes of the last sampled frame at or before it."""
    sampled = np.sort(frames_table["frame_idx"].to_numpy(np.int64))
    by_frame = dict(tuple(table.groupby("frame_idx")))
    empty = table.iloc[:0]

    def frames() -> Iterable[np.ndarray]:
        for frame in tqdm(
            sample_frames(path, None), desc=f"  annotate {path.name}", unit="frame",
            leave=False, disable=not progress,
        ):  # fmt: skip
            k = int(np.searchsorted(sampled, frame.index, side="right")) - 1
            rows = by_frame.get(int(sampled[k]), empty) if k >= 0 else empty
            yield draw_faces(frame.image, rows, labels)

    data = encode_mp4(frames(), Fraction(fps).limit_denominator(1001))  # type: ignore[arg-type]
    return write_atomically(target, data)


SUMMARY_COLUMNS = ("input", "kind", "status", "reason", "frames", "faces", "persons", "summary")


def write_summary(results: list[InputResult], path: Path) -> Path:
    """One row per input: what became of it, so a failure is on record, not only on screen."""
    rows = [
        {
            "input": str(r.path),
            "kind": r.kind,
            "status": r.status,
            "reason": r.reason,
            "frames": r.frames,
            "faces": 0 if r.table is None else len(r.table),
            "persons": 0 if r.table is None else r.table["person_id"].nunique(),
            "summary": r.summary,
        }
        for r in results
    ]
    table = pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
    return write_atomically(path, table.to_csv(index=False))
