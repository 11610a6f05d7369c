"""Streaming, time-sampled decoding with PyAV.

Frames are chosen on the film clock (the decoded timestamps, pts * time_base), never by frame
count over a declared fps: the metadata of web videos can be wrong or missing, and videos of
different frame rates must line up in time. Only the chosen frames are converted to arrays, and
at most two decoded frames are held at a time, so memory does not grow with the video's length.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from rmfer.errors import InputError

EPS = 1e-6  # seconds: timestamps are exact fractions, sampling times floats


class DecodeError(InputError):
    """The video cannot be decoded to the end; the message names the file and the fault."""


@dataclass(frozen=True)
class SampledFrame:
    index: int  # position of the frame in presentation order, from 0
    time_s: float  # seconds since the first frame, from the frame's own timestamp
    image: np.ndarray  # (H, W, 3) uint8 RGB


def sample_frames(
    path: str | Path, rate_hz: float | None, *, threads: int = 1
) -> Iterator[SampledFrame]:
    """Yield the frame nearest to each time k / rate_hz (k = 0, 1, ...) up to the last frame's
    time, each frame at most once.

    `rate_hz` None or 0 yields every frame. `threads` 0 lets FFmpeg choose its decoder threads.
    Raises DecodeError when the file cannot be opened or breaks off while decoding.
    """
    path = Path(path)
    period = 1.0 / rate_hz if rate_hz else 0.0
    try:
        container = av.open(str(path))
    except (av.FFmpegError, OSError, ValueError, IndexError) as exc:
        raise DecodeError(f"{path}: not a readable video file ({exc})") from exc
    with container:
        if not container.streams.video:
            raise DecodeError(f"{path}: the file has no video stream")
        stream = container.streams.video[0]
        if threads != 1:  # one thread decodes in order with the least memory
            stream.thread_type = "AUTO"
            stream.thread_count = threads
        clock = _Clock(stream)
        target = 0.0  # the next sampling time
        held: tuple[int, float, av.VideoFrame] | None = None  # the last frame before target
        index = -1
        try:
            for frame in container.decode(stream):
                index += 1
                time_s = clock.time(frame, index)
                if not period:
                    yield SampledFrame(index, time_s, frame.to_ndarray(format="rgb24"))
                    continue
                if time_s < target - EPS:
                    held = (index, time_s, frame)
                    continue
                # This frame is the first at or after the target: it or the one before is nearest.
                chosen = (index, time_s, frame)
                if held is not None and target - held[1] <= time_s - target:
                    chosen = held
                yield SampledFrame(chosen[0], chosen[1], chosen[2].to_ndarray(format="rgb24"))
                target = _next_target(chosen[1], period)
                held = None
                if chosen[0] != index:  # the current frame may be nearest to the next target
                    if time_s >= target - EPS:
                        yield SampledFrame(index, time_s, frame.to_ndarray(format="rgb24"))
                        target = _next_target(time_s, period)
                    else:
                        held = (index, time_s, frame)
        except (av.FFmpegError, EOFError, OSError) as exc:
            raise DecodeError(
                f"{path}: the video is corrupt or truncated after frame {index} ({exc})"
            ) from exc
        if index < 0:
            raise DecodeError(f"{path}: the video stream holds no decodable frame")
        # A target after the last frame lies past the video's end: nothing is sampled there.


def _next_target(time_s: float, period: float) -> float:
    """The first sampling time after `time_s` (a frame at a target counts as at it)."""
    return (math.floor(time_s / period + EPS) + 1) * period


class _Clock:
    """Seconds since the first frame, from timestamps; a frame without one continues the last."""

    def __init__(self, stream: av.video.stream.VideoStream) -> None:
        self.time_base = stream.time_base
        rate = stream.average_rate or stream.guessed_rate
        self.step = 1.0 / float(rate) if rate else None
        self.first: float | None = None
        self.last: float | None = None

    def time(self, frame: av.VideoFrame, index: int) -> float:
        pts = frame.pts if frame.pts is not None else frame.dts
        if pts is not None and self.time_base is not None:
            absolute = float(pts * self.time_base)
            if self.first is None:
                self.first = absolute
            now = absolute - self.first
        elif self.step is not None:
            now = (self.last + self.step) if self.last is not None else 0.0
        else:
            raise DecodeError(f"frame {index} has no timestamp and the stream no frame rate")
        self.last = now
        return round(now, 6)


class ReadablePart:
    """The frames of a video up to where decoding breaks off, and where that was.

    A web video whose tail is corrupt still has a usable beginning: iterating stops quietly at
    the break and `stopped` says where; a video with no readable frame raises as before.
    """

    def __init__(self, frames: Iterator[SampledFrame]) -> None:
        self._frames = frames
        self.stopped = ""  # empty: decoded to the end

    def __iter__(self) -> Iterator[SampledFrame]:
        last: SampledFrame | None = None
        try:
            for frame in self._frames:
                last = frame
                yield frame
        except DecodeError as error:
            if last is None:
                raise
            self.stopped = (
                f"decoding stopped after {last.time_s:.2f} s (frame {last.index}); the frames "
                f"before are kept: {error}"
            )
