"""probe_video: the file's own numbers, and a clear error for anything that is not a whole video."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from rmfer.video.encode import encode_mp4
from rmfer.video.probe import ProbeError, probe_video


def frames(n: int, width: int = 64, height: int = 48) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [rng.integers(0, 255, (height, width, 3), dtype=np.uint8) for _ in range(n)]


def faststart_mp4(path: Path, n: int, fps: int) -> bytes:
    """Index at the front (as web videos have it), so a cut file still opens."""
    with av.open(str(path), "w", format="mp4", options={"movflags": "faststart"}) as out:
        stream = out.add_stream("libx264", rate=Fraction(fps))
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for frame in frames(n):
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path.read_bytes()


def test_reads_the_files_own_fps_size_and_length(tmp_path):
    path = tmp_path / "v.mp4"
    path.write_bytes(encode_mp4(frames(30, 80, 64), fps=12))
    info = probe_video(path)
    assert (info.fps, info.width, info.height, info.frames, info.codec) == (
        12.0,
        80,
        64,
        30,
        "h264",
    )
    assert info.duration_s == pytest.approx(2.5)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "not a readable video"),
        (b"<html><body>not a video</body></html>", "not a readable video"),
        (b"[Script Info]\nTitle: subtitles\n" * 20, "no video stream|not a readable video"),
    ],
)
def test_non_videos_are_refused(tmp_path, content, message):
    path = tmp_path / "fake.mp4"
    path.write_bytes(content)
    with pytest.raises(ProbeError, match=message) as caught:
        probe_video(path)
    assert "fake.mp4" in str(caught.value)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(ProbeError, match=r"gone\.mp4: no such file"):
        probe_video(tmp_path / "gone.mp4")


@pytest.mark.parametrize("keep", [0.5, 0.9, 0.98])
def test_truncated_files_are_refused(tmp_path, keep):
    whole = encode_mp4(frames(30), fps=10)  # index at the end: a cut file has none
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(whole[: int(len(whole) * keep)])
    with pytest.raises(ProbeError, match="not a readable video"):
        probe_video(cut)

    front = faststart_mp4(tmp_path / "front.mp4", 30, 10)  # index first: the packets tell
    assert probe_video(tmp_path / "front.mp4").frames == 30
    cut.write_bytes(front[: int(len(front) * keep)])
    with pytest.raises(ProbeError, match="truncated"):
        probe_video(cut)
