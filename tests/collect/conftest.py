"""A real HTTP server on 127.0.0.1 (no mock of yt-dlp) and small videos made on the spot."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import numpy as np
import pytest
from tests.conf import base_parameters

from rmfer.collect import CollectParams
from rmfer.video.encode import encode_mp4


@dataclass
class Route:
    body: bytes
    content_type: str = "video/mp4"
    status: int = 200
    cut_at: int | None = None  # send only this many bytes, then drop the connection
    declare_length: bool = True  # False: no Content-Length, so the client cannot tell
    fail_first: int = 0  # answer 503 to this many GETs first
    delay_s: float = 0.0  # wait this long before answering a GET, counted as one at once
    gets: int = 0


class Loopback:
    """Routes by unquoted path; anything else is a 404.

    `most_at_once` is the most delayed routes (videos) the server was answering at the same time.
    """

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.at_once = 0
        self.most_at_once = 0
        self._in_flight: dict[str, int] = {}  # path -> GETs of it being answered
        self._count_lock = threading.Lock()
        loopback = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_HEAD(self) -> None:
                self._answer(head=True)

            def do_GET(self) -> None:
                route = loopback.routes.get(unquote(urlsplit(self.path).path))
                if route is None or not route.delay_s:
                    self._answer(head=False)
                    return
                with loopback.answering(self.path):
                    time.sleep(route.delay_s)
                self._answer(head=False)

            def _answer(self, head: bool) -> None:
                route = loopback.routes.get(unquote(urlsplit(self.path).path))
                if route is None or route.status == 404:
                    self._plain(404, b"not found", head)
                    return
                if not head:
                    route.gets += 1
                    if route.gets <= route.fail_first:
                        self._plain(503, b"busy, try again", head)
                        return
                body = route.body
                self.send_response(route.status)
                self.send_header("Content-Type", route.content_type)
                if route.declare_length:
                    self.send_header("Content-Length", str(len(body)))
                else:
                    self.send_header("Connection", "close")
                    self.close_connection = True
                self.end_headers()
                if head:
                    return
                if route.cut_at is None:
                    self.wfile.write(body)
                    return
                self.wfile.write(body[: route.cut_at])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)

            def _plain(self, status: int, text: bytes, head: bool) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                if not head:
                    self.wfile.write(text)

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: object, client_address: object) -> None:
                pass  # clients hang up mid-answer on purpose (yt-dlp sniffs the first bytes)

        self.server = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    @contextlib.contextmanager
    def answering(self, path: str) -> Iterator[None]:
        """Count the videos whose answer is being held back at once.

        Only the delay is counted: the client is then surely waiting for this answer. Writing the
        body is not, since a client that hung up (yt-dlp sniffs a video's first bytes) may already
        be asking for the next video while this thread still finds out it is gone.
        """
        with self._count_lock:
            self._in_flight[path] = self._in_flight.get(path, 0) + 1
            self.at_once = len(self._in_flight)
            self.most_at_once = max(self.most_at_once, self.at_once)
        try:
            yield
        finally:
            with self._count_lock:
                self._in_flight[path] -= 1
                if not self._in_flight[path]:
                    del self._in_flight[path]
                self.at_once = len(self._in_flight)

    def add(self, path: str, body: bytes | str, **kwargs: object) -> str:
        data = body.encode() if isinstance(body, str) else body
        self.routes[path] = Route(data, **kwargs)
        return self.url(path)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def url(self, path: str) -> str:
        return f"{self.base}{quote(path)}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def loopback() -> Iterator[Loopback]:
    server = Loopback()
    yield server
    server.close()


@pytest.fixture(scope="session")
def make_mp4() -> Callable[..., bytes]:
    """H.264 mp4 bytes; each seed a different video (the collector de-duplicates equal files)."""
    cache: dict[tuple, bytes] = {}

    def make(seed: int = 0, width: int = 64, height: int = 48, fps: int = 10, frames: int = 20):
        key = (seed, width, height, fps, frames)
        if key not in cache:
            rng = np.random.default_rng(seed)
            base = rng.integers(0, 255, (height, width, 3), dtype=np.uint8)
            clip = [np.roll(base, 2 * i, axis=1) for i in range(frames)]
            cache[key] = encode_mp4(clip, fps)
        return cache[key]

    return make


def fast_collect_params(videos_dir: Path | str, **overrides: object) -> CollectParams:
    """conf/base's parameters with fast back-off, no filters, no progress bars; override by
    keyword."""
    values: dict[str, object] = {
        "videos_dir": str(videos_dir),
        "allow_local_files": True,
        "min_duration_s": 0,
        "max_duration_s": None,
        "min_height": 0,
        "retries": 2,
        "backoff_s": 0.01,
        "socket_timeout_s": 5,
        "progress": False,
    }
    values.update(overrides)
    return CollectParams.from_dict(base_parameters("collect", **values))


@pytest.fixture
def params(tmp_path: Path) -> Callable[..., CollectParams]:
    """`fast_collect_params` in this test's folder."""

    def make(**overrides: object) -> CollectParams:
        return fast_collect_params(**{"videos_dir": tmp_path / "rm_videos", **overrides})

    return make
