"""The download archive: one `<video_id>.info.json` beside each video, written after the video.

A re-run reads these records instead of asking the site again, so finished videos cost a `stat`,
not a request. A record counts only while its file has the size and mtime it recorded; a video
whose file went missing or changed is fetched again.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rmfer.files import write_atomically

logger = logging.getLogger(__name__)

SUFFIX = ".info.json"
SCHEMA = 1
PRESENT = "present"
REJECTED = "rejected"


@dataclass
class Archive:
    folder: Path
    records: dict[str, dict[str, Any]] = field(default_factory=dict)  # video_id -> record

    @classmethod
    def load(cls, folder: str | Path) -> Archive:
        """Every readable record in the folder; unreadable ones are ignored (fetched again)."""
        folder = Path(folder)
        archive = cls(folder)
        if not folder.is_dir():
            return archive
        for path in sorted(folder.glob(f"*{SUFFIX}")):
            try:
                record = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                logger.warning(
                    "%s: unreadable archive record (%s); its video is fetched again", path, exc
                )
                continue
            video_id = path.name[: -len(SUFFIX)]
            if record.get("schema") == SCHEMA and record.get("video_id") == video_id:
                archive.records[video_id] = record
        return archive

    def by_key(self) -> dict[str, dict[str, Any]]:
        return {r["key"]: r for r in self.records.values() if r.get("key")}

    def by_url(self) -> dict[str, dict[str, Any]]:
        """Source rows' URLs that named one video, to its record. Not the sites' own page URLs:
        a web page can hold several videos under one URL."""
        out: dict[str, dict[str, Any]] = {}
        for record in self.records.values():
            for url in record.get("source_urls", []):
                out.setdefault(url, record)
        return out

    def taken_ids(self) -> dict[str, str]:
        return {vid: r.get("key", "") for vid, r in self.records.items()}

    def video_path(self, video_id: str) -> Path:
        return self.folder / f"{video_id}.mp4"

    def file_intact(self, record: dict[str, Any]) -> bool:
        """The file is the one recorded: same size and mtime (a changed file is fetched again)."""
        try:
            stat = self.video_path(record["video_id"]).stat()
        except OSError:
            return False
        return stat.st_size == record.get("size_bytes") and stat.st_mtime_ns == record.get(
            "mtime_ns"
        )

    def save(self, record: dict[str, Any]) -> None:
        """Write to a temporary name and rename, so a crash never leaves half a record."""
        record = {"schema": SCHEMA, **record}
        path = self.folder / f"{record['video_id']}{SUFFIX}"
        write_atomically(path, json.dumps(record, indent=1, sort_keys=True, default=str))
        self.records[record["video_id"]] = record

    def forget(self, video_id: str) -> None:
        self.records.pop(video_id, None)
        (self.folder / f"{video_id}{SUFFIX}").unlink(missing_ok=True)
