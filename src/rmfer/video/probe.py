"""What a video file really holds, read with PyAV: sites' metadata can be wrong, the file is not."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import av

from rmfer.errors import InputError


class ProbeError(InputError):
    """The file is not a complete, decodable video; the message names the file and the fault."""


@dataclass(frozen=True)
class VideoInfo:
    fps: float
    width: int
    height: int
    duration_s: float
    frames: int
    codec: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def probe_video(path: str | Path) -> VideoInfo:
    """Open the file, demux every packet of its first video stream and decode its first frame.

    Demuxing reads the whole file without decoding it, so a truncated download is caught (fewer
    packets than the header promises, a last packet cut short, or packets that stop short of
    the stream's duration) at a small fraction of the cost of a full decode.
    """
    path = Path(path)
    what = f"{path}"
    if not path.is_file():
        raise ProbeError(f"{what}: no such file")
    try:
        container = av.open(str(path))
    except (av.FFmpegError, OSError, ValueError, IndexError) as exc:
        raise ProbeError(
            f"{what}: not a readable video file ({exc}); it may be a web page, a text file or "
            "a download cut short. Delete it and download it again."
        ) from exc
    with container:
        if not container.streams.video:
            raise ProbeError(
                f"{what}: the file has no video stream (format {container.format.name})"
            )
        stream = container.streams.video[0]
        demuxed = _demux(container, stream, what)
        return _video_info(stream, container, demuxed, what)


@dataclass
class _Demuxed:
    """What one pass over the stream's packets found, without decoding more than one frame."""

    packets: int = 0
    corrupt: int = 0
    last_corrupt: bool = False
    first_pts: int | None = None
    last_end: int | None = None
    decoded: bool = False


def _demux(container: Any, stream: Any, what: str) -> _Demuxed:
    """Every packet of `stream`: counts, damage, the time they span, and one decoded frame."""
    found = _Demuxed()
    try:
        for packet in container.demux(stream):
            if packet.size == 0:  # the demuxer's end-of-stream marker
                continue
            found.packets += 1
            found.last_corrupt = packet.is_corrupt
            found.corrupt += found.last_corrupt
            if packet.pts is not None:
                end = packet.pts + (packet.duration or 0)
                first, last = found.first_pts, found.last_end
                found.first_pts = packet.pts if first is None else min(first, packet.pts)
                found.last_end = end if last is None else max(last, end)
            if not found.decoded:
                found.decoded = bool(stream.codec_context.decode(packet))
        if not found.decoded:
            found.decoded = bool(stream.codec_context.decode(None))
    except (av.FFmpegError, EOFError, OSError) as exc:
        raise ProbeError(f"{what}: the video is corrupt or truncated ({exc})") from exc
    if found.packets == 0 or not found.decoded:
        raise ProbeError(f"{what}: the video stream holds no decodable frame")
    if found.last_corrupt:
        raise ProbeError(
            f"{what}: truncated: its last frame is cut short. Delete it and download it again."
        )
    if found.corrupt > 0.01 * found.packets:
        raise ProbeError(f"{what}: corrupt: {found.corrupt} of {found.packets} frames are damaged")
    return found


def _video_info(stream: Any, container: Any, found: _Demuxed, what: str) -> VideoInfo:
    """The stream's figures, once its packets are known to cover what its header promises."""
    packets, time_base = found.packets, stream.time_base
    width, height = stream.codec_context.width, stream.codec_context.height
    rate = stream.average_rate or stream.guessed_rate
    declared_s = _declared_duration(stream, container)
    covered_s = (
        float((found.last_end - found.first_pts) * time_base)
        if time_base is not None and found.last_end is not None and found.first_pts is not None
        else 0.0
    )
    fps = float(rate) if rate else (packets / covered_s if covered_s > 0 else 0.0)
    if stream.frames > 0 and packets < stream.frames:
        raise ProbeError(
            f"{what}: truncated: {packets} of the {stream.frames} frames its header lists are "
            "in the file. Delete it and download it again."
        )
    if stream.frames <= 0 and declared_s and fps > 0:
        # Fragmented mp4 (YouTube's DASH) lists no frame count: compare the time the packets
        # cover with the duration the header declares, allowing two frames and 1 %.
        missing_s = declared_s - covered_s
        if missing_s > 2.0 / fps + 0.01 * declared_s:
            raise ProbeError(
                f"{what}: truncated: the packets cover {covered_s:.2f} s of the "
                f"{declared_s:.2f} s the header declares. Delete it and download it again."
            )
    duration_s = declared_s or covered_s
    if width <= 0 or height <= 0 or fps <= 0 or duration_s <= 0:
        raise ProbeError(f"{what}: implausible video ({width}x{height}, {fps} fps, {duration_s} s)")
    return VideoInfo(
        fps=fps,
        width=int(width),
        height=int(height),
        duration_s=float(duration_s),
        frames=int(stream.frames if stream.frames > 0 else packets),
        codec=str(stream.codec_context.name),
    )


def _declared_duration(stream: Any, container: Any) -> float:
    """The stream's own duration when the header has one, else the container's."""
    if stream.duration and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / av.time_base
    return 0.0
