"""Collect's re-run cost: 20 small mp4s served on 127.0.0.1, collected twice into a temp folder.

The second run finds every video in the archive (`<id>.info.json` + a size/mtime check) and asks
the server nothing, so it should take well under 10 % of the first. Prints both times and the
ratio; exits 1 when the ratio is 10 % or more.

    python benchmarks/bench_collect.py [--videos 20]
"""

from __future__ import annotations

import argparse
import functools
import sys
import tempfile
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from rmfer.collect import CollectParams, collect_videos, summary_line
from rmfer.video.encode import encode_mp4

TARGET = 0.10
BASE_PARAMETERS = Path(__file__).resolve().parents[1] / "conf/base/parameters_collect.yml"


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # yt-dlp hangs up after sniffing a file's first bytes


def make_videos(folder: Path, count: int) -> None:
    rng = np.random.default_rng(0)
    for i in range(count):
        base = rng.integers(0, 255, (120, 160, 3), dtype=np.uint8)
        clip = [np.roll(base, 3 * k, axis=1) for k in range(50)]
        (folder / f"mashup_{i:02d}.mp4").write_bytes(encode_mp4(clip, fps=25))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_collect_") as tmp:
        served = Path(tmp, "served")
        served.mkdir()
        make_videos(served, args.videos)
        handler = functools.partial(QuietHandler, directory=str(served))
        server = QuietServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            base = f"http://127.0.0.1:{server.server_port}"
            urls = [f"{base}/{p.name}" for p in sorted(served.glob("*.mp4"))]
            sources = pd.DataFrame({"url": urls})
            values = yaml.safe_load(BASE_PARAMETERS.read_text())["collect"]
            values.update(videos_dir=str(Path(tmp, "rm_videos")), progress=False, min_height=0)
            params = CollectParams.from_dict(values)
            times = []
            for _ in range(2):
                start = time.perf_counter()
                index = collect_videos(sources, params)
                times.append(time.perf_counter() - start)
                print(summary_line(index))
        finally:
            server.shutdown()
            server.server_close()
    first, second = times
    ratio = second / first
    print(f"first run (download {args.videos} videos): {first:.3f} s")
    print(f"re-run (all already present):      {second:.3f} s")
    print(f"ratio: {ratio:.1%} (target < {TARGET:.0%})")
    return 0 if ratio < TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
