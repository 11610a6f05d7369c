"""The collect stage's parameters, checked once so that a typo fails before any download.

Every key is required; the defaults and their meaning are in conf/base/parameters_collect.yml.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from yt_dlp.utils import parse_bytes

from rmfer.params import Checker, parse

SECTION = "collect"
INFINITY = float("inf")


def default_format(max_height: int) -> str:
    """H.264 mp4 video-only first (no audio needed, no merge, so no ffmpeg), then anything.

    `<=?` keeps formats whose height the site does not state (direct links, web pages).
    """
    h = f"[height<=?{max_height}]"
    return f"bv{h}[vcodec^=avc1][ext=mp4]/bv*{h}[vcodec^=avc1][ext=mp4]/bv*{h}[ext=mp4]/bv*{h}/b{h}"


@dataclass(frozen=True)
class CollectParams:
    videos_dir: str
    allow_local_files: bool
    max_height: int
    format: str | None  # a yt-dlp format selector; None = default_format(max_height)
    min_duration_s: float
    max_duration_s: float | None
    min_height: int
    max_per_source: int | None  # cap on the videos one playlist, channel or search gives
    retries: int
    backoff_s: float  # first wait before a retry; doubles on each try
    backoff_max_s: float
    rate_limit: str | int | None  # bytes/s, e.g. "2M"; None = no limit
    sleep_s: float  # pause before each download (politeness) ...
    sleep_max_s: float | None  # ... drawn at random up to this
    sleep_requests_s: float  # pause between metadata requests
    socket_timeout_s: float
    concurrency: int  # downloads at once, each with the politeness settings above
    progress: bool

    @classmethod
    def from_dict(cls, params: dict[str, Any]) -> CollectParams:
        """Reject unknown, missing and bad keys, naming the parameter."""
        result = parse(cls, params, SECTION)
        _check(Checker(result, SECTION), result)
        return result

    @property
    def format_spec(self) -> str:
        return self.format or default_format(self.max_height)

    @property
    def rate_bytes_per_s(self) -> int | None:
        if self.rate_limit is None:
            return None
        if isinstance(self.rate_limit, int | float):
            return int(self.rate_limit) if self.rate_limit > 0 else None
        value = parse_bytes(str(self.rate_limit).strip())
        return int(value) if value else None

    def backoff(self, attempt: int) -> float:
        """Seconds to wait before retry number `attempt` (1-based): exponential, capped."""
        return min(self.backoff_s * 2 ** max(attempt - 1, 0), self.backoff_max_s)


def _check(check: Checker, params: CollectParams) -> None:
    check.text("videos_dir")
    check.flag("allow_local_files")
    check.integer("max_height", 1)
    check.text("format", optional=True)
    check.number("min_duration_s", 0, INFINITY)
    check.number("max_duration_s", params.min_duration_s, INFINITY, optional=True)
    check.integer("min_height", 0)
    check.integer("max_per_source", 1, optional=True)
    check.integer("retries", 0)
    check.number("backoff_s", 0, INFINITY)
    check.number("backoff_max_s", 0, INFINITY)
    check.require(
        params.rate_limit is None or params.rate_bytes_per_s is not None,
        "rate_limit",
        "bytes per second, e.g. 2M or 500K, or null for no limit",
    )
    check.number("sleep_s", 0, INFINITY)
    check.number("sleep_max_s", params.sleep_s, INFINITY, optional=True)
    check.number("sleep_requests_s", 0, INFINITY)
    check.positive("socket_timeout_s")
    check.integer("concurrency", 1)
    check.flag("progress")
