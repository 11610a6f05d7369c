"""One collect run's state: what it reads (archive, fetcher), what is left, what it accounted for.

Expansion and fetching change a run only through this object, so that the rules of accounting
live in one place: every video is listed once (`listed`), every id names one video (`claimed`),
and every outcome is one index row (`report`).
"""

from __future__ import annotations

import contextlib
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rmfer.collect import index as ix
from rmfer.collect.archive import PRESENT, Archive, ArchiveRecord
from rmfer.collect.download import Fetcher
from rmfer.collect.params import CollectParams
from rmfer.collect.sources import SourceRow

if TYPE_CHECKING:
    from rmfer.collect.expand import Candidate


@dataclass
class Run:
    params: CollectParams
    videos_dir: Path
    work_dir: Path  # yt-dlp's downloads, until probed complete
    fetcher: Fetcher
    archive: Archive
    claimed: dict[str, str]  # video_id -> key: the ids in use, by the archive or this run
    listed: dict[str, tuple[str, int]] = field(default_factory=dict)  # key -> (video_id, row)
    queue: deque[Candidate] = field(default_factory=deque)  # videos still to account for
    rows: list[dict[str, Any]] = field(default_factory=list)  # the index, one row per outcome
    # Each row's candidate (its place in the queue; -1 while expanding), so that rows written
    # out of turn while downloads run at once are put back in the order of one at a time.
    order: list[int] = field(default_factory=list)
    candidate: int = -1
    _download_fetchers: list[Fetcher] = field(default_factory=list)
    _thread: threading.local = field(default_factory=threading.local)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def start(cls, params: CollectParams, videos_dir: Path) -> Run:
        work_dir = videos_dir.with_name(videos_dir.name + ".partial")
        archive = Archive.load(videos_dir)
        return cls(
            params=params,
            videos_dir=videos_dir,
            work_dir=work_dir,
            fetcher=Fetcher(params, work_dir),
            archive=archive,
            claimed=archive.taken_ids(),
        )

    def close(self) -> None:
        self.fetcher.close()
        for fetcher in self._download_fetchers:
            fetcher.close()
        with contextlib.suppress(OSError):  # only when empty: a `.part` stays to be resumed
            self.work_dir.rmdir()

    def report(self, row: SourceRow, **fields: Any) -> None:
        """One index row for this source row: its status, and the video's fields when known."""
        self.rows.append({"source_url": row.url, "source_row": row.row, "note": row.note, **fields})
        self.order.append(self.candidate)

    @contextlib.contextmanager
    def accounting_for(self, candidate: int) -> Iterator[None]:
        """Rows reported inside belong to the candidate at `candidate` in the queue."""
        current, self.candidate = self.candidate, candidate
        try:
            yield
        finally:
            self.candidate = current

    def rows_in_queue_order(self) -> None:
        """The rows sorted by their candidate, each candidate's in the order reported."""
        ordered = sorted(zip(self.order, self.rows, strict=True), key=itemgetter(0))
        self.rows = [row for _, row in ordered]
        self.order = [candidate for candidate, _ in ordered]

    def download_fetcher(self) -> Fetcher:
        """The calling download thread's own yt-dlp: each download has its own politeness
        (rate limit, pauses, retries), and one YoutubeDL is not shared between threads."""
        fetcher = getattr(self._thread, "fetcher", None)
        if fetcher is None:
            fetcher = Fetcher(self.params, self.work_dir)
            self._thread.fetcher = fetcher
            with self._lock:
                self._download_fetchers.append(fetcher)
        return fetcher

    def list_video(self, key: str, video_id: str, row: SourceRow) -> None:
        """This run accounts for the video `key` as `video_id`, first listed by `row`."""
        self.listed[key] = (video_id, row.row)

    def duplicate(self, row: SourceRow, url: str, key: str) -> None:
        """A video this run has already accounted for, reached again through `row`."""
        video_id, first = self.listed[key]
        error = f"video {video_id} is already listed by row {first}"
        self.report(row, video_id=video_id, url=url, status=ix.SKIPPED, error=error)

    def index_fields(self, record: ArchiveRecord) -> dict[str, Any]:
        """The index columns a record fills; a file's columns only while it is present."""
        present = record.state == PRESENT
        return {
            "video_id": record.video_id,
            "url": record.url,
            "title": record.title,
            "uploader": record.uploader,
            "duration_s": record.duration_s,
            "fps": record.fps,
            "width": record.width,
            "height": record.height,
            "frames": record.frames,
            "path": self.archive.video_path(record.video_id).as_posix() if present else None,
            "size_bytes": record.size_bytes if present else None,
            "sha256": record.sha256 if present else None,
        }
