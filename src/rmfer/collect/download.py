"""yt-dlp through its Python API: metadata, format choice and the download itself.

Downloads land in a work folder beside the videos folder (`<videos_dir>.partial`), named by our
safe id, never by a title; yt-dlp keeps an unfinished download as `<id>.mp4.part` there and
resumes it on the next try. Only a file that was probed complete is moved into the videos folder.
"""

from __future__ import annotations

import itertools
import logging
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import av
import yt_dlp
from yt_dlp.networking.exceptions import HTTPError, TransportError
from yt_dlp.utils import ContentTooShortError, DownloadError, UnsupportedError

from rmfer.collect.params import CollectParams
from rmfer.errors import RmferError
from rmfer.files import raise_if_disk_full

logger = logging.getLogger(__name__)

FILE_ID_FIELD = "rmfer_file_id"  # our safe id, injected into the info dict for the out template
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
T = TypeVar("T")
_RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
# A missing or unreadable local file does not come back by waiting.
_LOCAL_FAULTS = (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError)


class FetchError(RmferError):
    """A video or source could not be fetched; `transient` says whether a retry may help, `url`
    names what was asked when a candidate led elsewhere."""

    def __init__(self, message: str, transient: bool = False, url: str | None = None) -> None:
        super().__init__(message)
        self.transient = transient
        self.url = url


class _YtDlpLog:
    """yt-dlp's messages into logging; its errors are recorded in the index instead."""

    def debug(self, msg: str) -> None:
        logger.debug("yt-dlp: %s", msg)

    info = debug

    def warning(self, msg: str) -> None:
        if "Falling back on generic information extractor" in msg:
            logger.debug("yt-dlp: %s", msg)
        else:
            logger.warning("yt-dlp: %s", _clean(msg))

    def error(self, msg: str) -> None:
        logger.debug("yt-dlp: %s", msg)


def ydl_options(params: CollectParams, work_dir: Path) -> dict[str, Any]:
    """The YoutubeDL options the parameters ask for."""

    def backoff(n: int) -> float:
        return params.backoff(n)

    options: dict[str, Any] = {
        "quiet": True,
        "noprogress": True,
        "logger": _YtDlpLog(),
        "format": params.format_spec,
        "paths": {"home": str(work_dir), "temp": str(work_dir)},
        "outtmpl": {"default": f"%({FILE_ID_FIELD})s.%(ext)s"},
        "restrictfilenames": True,
        "overwrites": True,  # a finished-but-unprobed leftover is fetched again, never trusted
        "continuedl": True,  # ... but a `.part` file is resumed
        "nopart": False,
        "noplaylist": False,
        "extract_flat": "in_playlist",
        "enable_file_urls": params.allow_local_files,
        "retries": params.retries,
        "fragment_retries": params.retries,
        "file_access_retries": params.retries,
        "extractor_retries": params.retries,
        "retry_sleep_functions": {
            "http": backoff,
            "fragment": backoff,
            "file_access": backoff,
            "extractor": backoff,
        },
        "socket_timeout": params.socket_timeout_s,
        "writeinfojson": False,
        "writethumbnail": False,
        "writesubtitles": False,
        "fixup": "never",  # fixups need ffmpeg; the probe checks the file instead
        "color": {"stdout": "no_color", "stderr": "no_color"},
    }
    if params.rate_bytes_per_s:
        options["ratelimit"] = params.rate_bytes_per_s
    if params.sleep_s > 0:
        options["sleep_interval"] = params.sleep_s
        if params.sleep_max_s:
            options["max_sleep_interval"] = params.sleep_max_s
    if params.sleep_requests_s > 0:
        options["sleep_interval_requests"] = params.sleep_requests_s
    return options


class Fetcher:
    """One YoutubeDL, made on first use: a re-run with nothing to fetch never builds it."""

    def __init__(self, params: CollectParams, work_dir: Path) -> None:
        self.params = params
        self.work_dir = work_dir
        self._ydl: yt_dlp.YoutubeDL | None = None

    @property
    def ydl(self) -> yt_dlp.YoutubeDL:
        if self._ydl is None:
            self.work_dir.mkdir(parents=True, exist_ok=True)
            self._ydl = yt_dlp.YoutubeDL(ydl_options(self.params, self.work_dir))
        return self._ydl

    def close(self) -> None:
        if self._ydl is not None:
            self._ydl.close()
            self._ydl = None

    def extract(self, url: str, ie_key: str | None = None) -> dict[str, Any]:
        """The site's answer for one URL, unprocessed: a video, a playlist or a pointer."""
        try:
            info = self.ydl.extract_info(url, download=False, process=False, ie_key=ie_key)
        except DownloadError as exc:
            raise as_fetch_error(exc) from exc
        if not info:
            raise FetchError("yt-dlp returned nothing for this URL")
        return info

    def select(self, info: dict[str, Any]) -> dict[str, Any]:
        """The info with the chosen format's fields (height, ext ...), without downloading."""
        try:
            return self.ydl.process_ie_result(dict(info), download=False)
        except DownloadError as exc:
            raise as_fetch_error(exc, hint="check collect.format / collect.max_height") from exc

    def download(self, info: dict[str, Any], file_id: str) -> Path:
        """Download the chosen format to `<work_dir>/<file_id>.<ext>` and return that path."""
        info = {**info, FILE_ID_FIELD: file_id}
        try:
            result = self.ydl.process_ie_result(info, download=True)
        except DownloadError as exc:
            raise_if_disk_full(exc, self.work_dir)  # a full disk stops the run, never retried
            raise as_fetch_error(exc) from exc
        paths = [d.get("filepath") for d in result.get("requested_downloads") or []]
        paths = [Path(p) for p in paths if p]
        if len(paths) != 1 or not paths[0].is_file():
            raise FetchError(
                "yt-dlp wrote no single file for this video "
                f"({[str(p) for p in paths] or 'nothing'}); check collect.format"
            )
        path = paths[0].resolve()
        if path.parent != self.work_dir.resolve():
            raise FetchError(f"yt-dlp wrote {path}, outside the work folder {self.work_dir}")
        return path


def retrying(what: str, call: Callable[[], T], params: CollectParams) -> T:
    """Try again, with exponential back-off, when the failure looks temporary."""
    attempt = 0
    while True:
        try:
            return call()
        except FetchError as exc:
            attempt += 1
            if not exc.transient or attempt > params.retries:
                raise
            wait = params.backoff(attempt)
            logger.info(
                "%s: %s; retry %d of %d in %.1f s", what, exc, attempt, params.retries, wait
            )
            time.sleep(wait)


def entries_of(info: dict[str, Any], limit: int | None) -> Iterator[dict[str, Any]]:
    """A playlist's, channel's or search's entries (flat: id and URL, no per-video request)."""
    entries = info.get("entries") or []
    return itertools.islice((e for e in entries if e), limit)


def as_fetch_error(exc: DownloadError, hint: str = "") -> FetchError:
    """yt-dlp's error as one line that says what happened and whether to try again."""
    cause = exc.exc_info[1] if exc.exc_info else None
    message = _clean(str(exc))
    transient = False
    if isinstance(cause, HTTPError):
        transient = cause.status in _RETRY_STATUSES
    elif isinstance(cause, TransportError | TimeoutError | ConnectionError):
        transient = not any(isinstance(c, _LOCAL_FAULTS) for c in _causes(cause))
    elif isinstance(cause, UnsupportedError):
        message = (
            "no video found at this URL (a page without media, or a site yt-dlp does not "
            f"know): {message}"
        )
    elif isinstance(cause, ContentTooShortError) or "more expected" in message:
        message = f"download cut short: {message}"
    if hint:
        message = f"{message} ({hint})"
    return FetchError(message, transient=transient)


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The chain of causes below an error (yt-dlp's `.cause`, Python's `__cause__`)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        cause = getattr(current, "cause", None)
        if not isinstance(cause, BaseException):
            cause = current.__cause__ or current.__context__
        current = cause


def _clean(message: str) -> str:
    message = _ANSI.sub("", message)
    message = re.sub(r"^(ERROR|WARNING):\s*", "", message.strip())
    message = message.split("; please report this issue")[0]
    return " ".join(message.split())


def remux_to_mp4(source: Path, target: Path) -> None:
    """Copy the video stream (no re-encoding) into an mp4, so that every kept file is `.mp4`."""
    with av.open(str(source)) as src, av.open(str(target), mode="w", format="mp4") as dst:
        in_stream = src.streams.video[0]
        out_stream = dst.add_stream_from_template(in_stream)
        for packet in src.demux(in_stream):
            if packet.dts is None:
                continue
            packet.stream = out_stream
            dst.mux(packet)
