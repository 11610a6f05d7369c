"""The download archive: one `<video_id>.info.json` beside each video, written after the video.

A re-run reads these records instead of asking the site again, so finished videos cost a `stat`,
not a request. A record counts only while its file has the size and mtime it recorded; a video
whose file went missing or changed is fetched again.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rmfer.files import write_atomically
from rmfer.video.probe import VideoInfo

logger = logging.getLogger(__name__)

SUFFIX = ".info.json"
SCHEMA = 1
PRESENT = "present"
REJECTED = "rejected"
# Written only when the file was probed (its own frame count and codec) ...
PROBED_FIELDS = ("frames", "codec")
# ... and only for a file that was kept (its identity on disk and the site's metadata).
FILE_FIELDS = ("sha256", "size_bytes", "mtime_ns", "info")
# The site's metadata kept with a present video.
INFO_FIELDS = (
    "id",
    "title",
    "uploader",
    "uploader_id",
    "channel",
    "channel_id",
    "upload_date",
    "duration",
    "webpage_url",
    "extractor_key",
    "format_id",
    "ext",
    "width",
    "height",
    "fps",
    "vcodec",
    "license",
    "age_limit",
)


@dataclass(frozen=True)
class Identity:
    """Which video a record is about, and where it was found."""

    video_id: str
    key: str  # what makes two entries the same video (ids.video_key)
    url: str | None  # the video's own page or file
    title: str | None
    uploader: str | None
    source_urls: tuple[str, ...]  # the rm_sources URLs that named this one video


@dataclass(frozen=True)
class KeptFile:
    """A video file moved into the folder: what proves on a re-run that it is still the same."""

    sha256: str
    size_bytes: int
    mtime_ns: int
    info: dict[str, Any]  # the site's metadata (INFO_FIELDS that it gave)


@dataclass(frozen=True)
class ArchiveRecord:
    """What one video's fetch found, so that a re-run need not ask the site again.

    `state` is PRESENT (the file is in the folder) or REJECTED (a filter turned it down; kept so
    that a re-run with the same filters asks nothing). `url` is the video's own page or file;
    `source_urls` are the rm_sources URLs that named this one video, every one it was fetched
    from. `probed` says whether the media fields are the file's own or what the site claimed.
    """

    video_id: str
    key: str
    state: str
    url: str | None
    title: str | None
    uploader: str | None
    source_urls: tuple[str, ...]
    format_spec: str
    collected_at: str
    probed: bool
    duration_s: float | None
    fps: float | None
    width: int | None
    height: int | None
    frames: int | None = None
    codec: str | None = None
    sha256: str | None = None
    size_bytes: int | None = None
    mtime_ns: int | None = None
    info: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # keys this version does not know

    @classmethod
    def new(
        cls,
        identity: Identity,
        state: str,
        format_spec: str,
        probed: VideoInfo | None,
        claimed: dict[str, Any],
        kept: KeptFile | None = None,
    ) -> ArchiveRecord:
        """The one way a fetch makes a record: the media fields are the probe's when the file
        was probed, else what the site claimed; `kept` only for a file moved into the folder."""
        if probed is not None:
            media = {
                "duration_s": probed.duration_s,
                "fps": probed.fps,
                "width": probed.width,
                "height": probed.height,
                "frames": probed.frames,
                "codec": probed.codec,
            }
        else:
            media = {
                "duration_s": claimed.get("duration"),
                "fps": claimed.get("fps"),
                "width": claimed.get("width"),
                "height": claimed.get("height"),
            }
        return cls(
            **dataclasses.asdict(identity),
            **media,
            state=state,
            probed=probed is not None,
            format_spec=format_spec,
            collected_at=datetime.now(UTC).isoformat(timespec="seconds"),
            **(dataclasses.asdict(kept) if kept else {}),
        )

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ArchiveRecord:
        """A record as read from disk; TypeError when a required key is missing."""
        known = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        values = {k: v for k, v in data.items() if k in known}
        if not isinstance(values.get("source_urls", []), list):
            raise TypeError("source_urls is not a list")
        values["source_urls"] = tuple(values.get("source_urls", ()))
        extra = {k: v for k, v in data.items() if k not in known and k != "schema"}
        return cls(**values, extra=extra)

    def to_json(self) -> str:
        """The record as written to disk: sorted keys, so an unchanged record reads back the
        same bytes."""
        data: dict[str, Any] = {"schema": SCHEMA, **self.extra}
        for f in dataclasses.fields(self):
            name = f.name
            if name == "extra":
                continue
            if (name in PROBED_FIELDS and not self.probed) or (
                name in FILE_FIELDS and self.sha256 is None
            ):
                continue
            value = getattr(self, name)
            data[name] = list(value) if name == "source_urls" else value
        return json.dumps(data, indent=1, sort_keys=True, default=str)

    def with_source_url(self, url: str | None) -> ArchiveRecord:
        """This record, also naming `url` among its sources."""
        if not url or url in self.source_urls:
            return self
        return dataclasses.replace(self, source_urls=(*self.source_urls, url))


@dataclass
class Archive:
    """The folder's records, with the lookups a run needs kept up to date on every save."""

    folder: Path
    records: dict[str, ArchiveRecord] = field(default_factory=dict)  # video_id -> record
    _by_key: dict[str, str] = field(default_factory=dict)  # key -> video_id
    _by_url: dict[str, str] = field(default_factory=dict)  # source URL -> video_id
    _by_sha: dict[str, str] = field(default_factory=dict)  # a present file's sha256 -> video_id

    @classmethod
    def load(cls, folder: str | Path) -> Archive:
        """Every readable record in the folder; unreadable ones are ignored (fetched again)."""
        folder = Path(folder)
        archive = cls(folder)
        if not folder.is_dir():
            return archive
        for path in sorted(folder.glob(f"*{SUFFIX}")):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                video_id = path.name[: -len(SUFFIX)]
                if data.get("schema") != SCHEMA or data.get("video_id") != video_id:
                    continue
                record = ArchiveRecord.from_json(data)
            except (OSError, ValueError, TypeError, AttributeError) as exc:
                logger.warning(
                    "%s: unreadable archive record (%s); its video is fetched again", path, exc
                )
                continue
            archive._add(record)
        return archive

    def find_by_key(self, key: str) -> ArchiveRecord | None:
        video_id = self._by_key.get(key)
        return self.records[video_id] if video_id else None

    def find_by_url(self, url: str) -> ArchiveRecord | None:
        """The record of a source row's URL that named one video. Not the sites' own page URLs:
        a web page can hold several videos under one URL."""
        video_id = self._by_url.get(url)
        return self.records[video_id] if video_id else None

    def find_by_sha(self, sha256: str) -> ArchiveRecord | None:
        """The present video whose file has these bytes."""
        video_id = self._by_sha.get(sha256)
        return self.records[video_id] if video_id else None

    def taken_ids(self) -> dict[str, str]:
        return {vid: r.key for vid, r in self.records.items()}

    def video_path(self, video_id: str) -> Path:
        return self.folder / f"{video_id}.mp4"

    def file_intact(self, record: ArchiveRecord) -> bool:
        """The file is the one recorded: same size and mtime (a changed file is fetched again)."""
        try:
            stat = self.video_path(record.video_id).stat()
        except OSError:
            return False
        return stat.st_size == record.size_bytes and stat.st_mtime_ns == record.mtime_ns

    def save(self, record: ArchiveRecord) -> None:
        """Write to a temporary name and rename, so a crash never leaves half a record."""
        write_atomically(self.folder / f"{record.video_id}{SUFFIX}", record.to_json())
        self._drop(record.video_id)
        self._add(record)

    def forget(self, video_id: str) -> None:
        self._drop(video_id)
        (self.folder / f"{video_id}{SUFFIX}").unlink(missing_ok=True)

    def _add(self, record: ArchiveRecord) -> None:
        video_id = record.video_id
        self.records[video_id] = record
        if record.key:
            self._by_key[record.key] = video_id
        for url in record.source_urls:
            self._by_url.setdefault(url, video_id)
        if record.state == PRESENT and record.sha256:
            self._by_sha[record.sha256] = video_id

    def _drop(self, video_id: str) -> None:
        old = self.records.pop(video_id, None)
        if old is None:
            return
        for index, names in (
            (self._by_key, [old.key]),
            (self._by_url, old.source_urls),
            (self._by_sha, [old.sha256]),
        ):
            for name in names:
                if name is not None and index.get(name) == video_id:
                    del index[name]
