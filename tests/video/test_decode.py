"""sample_frames: frames chosen on the film clock (decoded timestamps), streamed."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from rmfer.video.decode import DecodeError, sample_frames
from rmfer.video.encode import encode_mp4


def numbered(n: int, width: int = 64, height: int = 48) -> list[np.ndarray]:
    """Frame k is a flat grey of level 4 k, so a decoded frame tells which one it is."""
    return [np.full((height, width, 3), 4 * k, np.uint8) for k in range(n)]


def level(image: np.ndarray) -> int:
    return round(float(image.mean()) / 4)


@pytest.mark.parametrize(
    ("fps", "frames", "expected"),
    [
        (10, 30, list(range(0, 30, 2))),
        (25, 50, list(range(0, 50, 5))),
        (3, 9, list(range(9))),  # slower than the rate: every frame, once
    ],
)
def test_the_frame_nearest_each_fifth_of_a_second(tmp_path, fps, frames, expected):
    path = tmp_path / "v.mp4"
    path.write_bytes(encode_mp4(numbered(frames), fps=fps))
    sampled = list(sample_frames(path, 5))
    assert [f.index for f in sampled] == expected
    assert [level(f.image) for f in sampled] == expected
    assert [f.time_s for f in sampled] == pytest.approx([k / fps for k in expected])


def test_every_frame_without_a_rate(tmp_path):
    path = tmp_path / "v.mp4"
    path.write_bytes(encode_mp4(numbered(7), fps=7))
    assert [f.index for f in sample_frames(path, None)] == list(range(7))


def variable_rate_mp4(path: Path, times: list[float]) -> None:
    """Frames shown at `times` (seconds): no single frame rate describes the file."""
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=Fraction(30))
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        stream.codec_context.time_base = Fraction(1, 1000)
        for k, (t, image) in enumerate(zip(times, numbered(len(times)), strict=True)):
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts, frame.time_base = round(t * 1000), Fraction(1, 1000)
            for packet in stream.encode(frame):
                out.mux(packet)
            assert k < 64
        for packet in stream.encode():
            out.mux(packet)


def test_variable_frame_rate_times_come_from_timestamps(tmp_path):
    # 2 s at 10 fps, then 2 s at 20 fps: the declared rate is wrong for one half at least.
    times = [k / 10 for k in range(20)] + [2 + k / 20 for k in range(40)]
    path = tmp_path / "vfr.mp4"
    variable_rate_mp4(path, times)
    with av.open(str(path)) as container:
        declared = float(container.streams.video[0].average_rate)
    assert declared not in (10.0, 20.0)
    sampled = list(sample_frames(path, 5))
    assert [f.time_s for f in sampled] == pytest.approx([k / 5 for k in range(20)])
    expected = [times.index(min(times, key=lambda t, k=k: abs(t - k / 5))) for k in range(20)]
    assert [f.index for f in sampled] == expected
    assert [level(f.image) for f in sampled] == expected


def test_a_file_that_is_no_video_is_a_decode_error(tmp_path):
    path = tmp_path / "page.mp4"
    path.write_bytes(b"<html>not a video</html>")
    with pytest.raises(DecodeError, match=r"page\.mp4: not a readable video"):
        list(sample_frames(path, 5))


def test_frames_stream_one_at_a_time(tmp_path):
    path = tmp_path / "v.mp4"
    path.write_bytes(encode_mp4(numbered(20), fps=10))
    stream = sample_frames(path, 5)
    first = next(stream)
    assert (first.index, first.time_s, first.image.shape) == (0, 0.0, (48, 64, 3))
    stream.close()  # a generator: the file is closed without decoding the rest


def test_the_last_frame_on_a_sampling_time_is_sampled(tmp_path):
    # 5 fps at 5 per second: frame 14 sits at 2.8 s, where 14 * 0.2 is 2.8000000000000003.
    path = tmp_path / "v.mp4"
    path.write_bytes(encode_mp4(numbered(15), fps=5))
    assert [f.index for f in sample_frames(path, 5)] == list(range(15))
