"""The collect stage's parameters, checked once so that a typo fails before any download."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from yt_dlp.utils import parse_bytes


def default_format(max_height: int) -> str:
    """H.264 mp4 video-only first (no audio needed, no merge, so no ffmpeg), then anything.

    `<=?` keeps formats whose height the site does not state (direct links, web pages).
    """
    h = f"[height<=?{max_height}]"
    return f"bv{h}[vcodec^=avc1][ext=mp4]/bv*{h}[vcodec^=avc1][ext=mp4]/bv*{h}[ext=mp4]/bv*{h}/b{h}"


@dataclass(frozen=True)
class CollectParams:
    videos_dir: str
    allow_local_files: bool = False
    max_height: int = 720
    format: str | None = None  # a yt-dlp format selector; None = default_format(max_height)
    min_duration_s: float = 0.0
    max_duration_s: float | None = None
    min_height: int = 0
    max_per_source: int | None = None  # cap on the videos one playlist, channel or search gives
    retries: int = 3
    backoff_s: float = 1.0  # first wait before a retry; doubles on each try
    backoff_max_s: float = 60.0
    rate_limit: str | int | None = None  # bytes/s, e.g. "2M"; None = no limit
    sleep_s: float = 0.0  # pause before each download (politeness) ...
    sleep_max_s: float | None = None  # ... drawn at random up to this
    sleep_requests_s: float = 0.0  # pause between metadata requests
    socket_timeout_s: float = 30.0
    progress: bool = True

    @classmethod
    def from_dict(cls, params: dict[str, Any]) -> CollectParams:
        """Reject unknown keys and bad values with the parameter's name."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(params) - known)
        if unknown:
            raise ValueError(
                f"collect parameters: unknown key(s) {unknown}; known keys are {sorted(known)} "
                "(conf/*/parameters_collect.yml)"
            )
        if not params.get("videos_dir"):
            raise ValueError("collect parameters: `videos_dir` is required (the download folder)")
        out = cls(**params)
        out._check()
        return out

    def _check(self) -> None:
        def bad(name: str, why: str) -> ValueError:
            return ValueError(f"collect parameters: `{name}` = {getattr(self, name)!r}: {why}")

        if self.max_height <= 0:
            raise bad("max_height", "must be a positive number of pixels")
        if self.min_height < 0:
            raise bad("min_height", "must be >= 0")
        if self.min_duration_s < 0:
            raise bad("min_duration_s", "must be >= 0")
        if self.max_duration_s is not None and self.max_duration_s < self.min_duration_s:
            raise bad("max_duration_s", "must be >= min_duration_s, or null for no limit")
        if self.retries < 0:
            raise bad("retries", "must be >= 0")
        if self.backoff_s < 0 or self.backoff_max_s < 0:
            raise bad("backoff_s", "back-off times must be >= 0")
        if self.max_per_source is not None and self.max_per_source <= 0:
            raise bad("max_per_source", "must be positive, or null for no cap")
        if self.rate_limit is not None and self.rate_bytes_per_s is None:
            raise bad("rate_limit", "write bytes per second, e.g. 2M or 500K, or null")
        if self.sleep_max_s is not None and self.sleep_max_s < self.sleep_s:
            raise bad("sleep_max_s", "must be >= sleep_s, or null")

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
