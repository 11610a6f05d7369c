"""H.264 mp4 encoding with PyAV, deterministic for a given input."""

from __future__ import annotations

import io
from collections.abc import Iterable
from fractions import Fraction

import av
import numpy as np


def encode_mp4(
    frames: Iterable[np.ndarray], fps: int, *, crf: int = 23, preset: str = "veryfast"
) -> bytes:
    """Encode RGB frames (H, W, 3) as H.264 mp4 bytes.

    One encoder thread, so that the same frames give the same bytes on any machine.
    """
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as container:
        stream = None
        for frame in frames:
            if stream is None:
                height, width = frame.shape[:2]
                stream = container.add_stream("libx264", rate=Fraction(fps))
                stream.width, stream.height = width - width % 2, height - height % 2
                stream.pix_fmt = "yuv420p"
                stream.thread_count = 1
                stream.options = {"crf": str(crf), "preset": preset}
            rgb = np.ascontiguousarray(frame[: stream.height, : stream.width])
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                container.mux(packet)
        if stream is None:
            raise ValueError("encode_mp4 needs at least one frame")
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue()
