"""The collect stage: source rows -> videos on disk -> the index, resumable and recorded.

Two passes. First every source row is expanded (a playlist, channel or search into its videos);
then every video is de-duplicated, checked against the archive, fetched, probed, filtered and
moved into place. One bad video is a row in the index, never the end of the run; the run fails
only when not one video is usable, and then its message lists every row's reason.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
from tqdm.auto import tqdm

from rmfer.collect import index as ix
from rmfer.collect.archive import PRESENT, REJECTED, Archive
from rmfer.collect.download import Fetcher, FetchError, entries_of, remux_to_mp4
from rmfer.collect.ids import safe_id, unique_id, video_key
from rmfer.collect.params import CollectParams
from rmfer.collect.sources import SourceRow, parse_sources
from rmfer.video.probe import ProbeError, VideoInfo, probe_video

logger = logging.getLogger(__name__)

T = TypeVar("T")
MAX_DEPTH = 3  # a channel holds tabs, a tab holds playlists, a playlist holds videos
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


class CollectError(RuntimeError):
    """Not one video could be collected; the message lists each row's reason."""


@dataclass
class _Item:
    """One video to account for; `info` is None until the site has been asked."""

    row: SourceRow
    url: str
    info: dict[str, Any] | None = None
    ie_key: str | None = None
    raw_id: str | None = None
    depth: int = 0
    cached: dict[str, Any] | None = None  # an archive record found by the row's URL

    @property
    def source_url(self) -> str | None:
        """The row's URL when it names this one video (not a playlist or search holding it):
        the archive maps such URLs to their videos, so a re-run asks nothing."""
        return self.row.url if self.depth == 0 else None


def collect_videos(
    sources: pd.DataFrame, params: CollectParams, origin: str = "rm_sources"
) -> pd.DataFrame:
    """Fetch every source row's videos into `params.videos_dir` and return the index.

    `origin` names the source list in messages (a file path or a catalog entry).
    """
    if len(sources) == 0:
        raise CollectError(
            f"{origin} has no rows: add one URL, playlist, channel or ytsearchN:<query> a row"
        )
    rows, problems = parse_sources(sources, params.allow_local_files, origin)
    videos_dir = Path(params.videos_dir)
    videos_dir.mkdir(parents=True, exist_ok=True)
    run = _Run(params, videos_dir, origin)
    try:
        run.expand(rows)
        run.fetch_all()
    finally:
        run.close()
    out = [
        {
            "source_url": p.url,
            "source_row": p.row,
            "note": p.note,
            "status": p.status,
            "error": p.reason,
        }
        for p in problems
    ]
    table = ix.make_table(out + run.rows)
    table = table.sort_values("source_row", kind="stable").reset_index(drop=True)
    if not table["status"].isin(ix.USABLE).any():
        raise CollectError(_nothing_message(table, origin))
    _warn_orphans(videos_dir, set(table.loc[table["status"].isin(ix.USABLE), "video_id"]))
    return table


class _Run:
    def __init__(self, params: CollectParams, videos_dir: Path, origin: str) -> None:
        self.params = params
        self.videos_dir = videos_dir
        self.work_dir = videos_dir.with_name(videos_dir.name + ".partial")
        self.origin = origin
        self.fetcher = Fetcher(params, self.work_dir)
        self.archive = Archive.load(videos_dir)
        self.by_url = self.archive.by_url()
        self.by_key = self.archive.by_key()
        self.taken = self.archive.taken_ids()
        self.seen: dict[str, tuple[str, int]] = {}  # key -> (video_id, source row)
        self.shas = {
            r["sha256"]: vid
            for vid, r in self.archive.records.items()
            if r.get("state") == PRESENT and r.get("sha256")
        }
        self.queue: deque[_Item] = deque()
        self.rows: list[dict[str, Any]] = []

    def close(self) -> None:
        self.fetcher.close()
        with contextlib.suppress(OSError):  # only when empty: a `.part` stays to be resumed
            self.work_dir.rmdir()

    # -- pass 1: source rows into videos ------------------------------------------------------
    def expand(self, rows: list[SourceRow]) -> None:
        for row in tqdm(
            rows, desc="collect: sources", unit="row", disable=not self.params.progress
        ):
            record = self.by_url.get(row.url)
            if record is not None:
                self.queue.append(_Item(row, row.url, cached=record))
                continue
            try:
                info = self._retrying(row.url, lambda row=row: self.fetcher.extract(row.url))
            except FetchError as exc:
                self._row(row, url=row.url, status=ix.FAILED, error=str(exc))
                continue
            self._enqueue(row, row.url, info, depth=0)

    def _enqueue(self, row: SourceRow, url: str, info: dict[str, Any], depth: int) -> None:
        kind = info.get("_type", "video")
        if kind in ("playlist", "multi_video"):
            if depth >= MAX_DEPTH:
                self._row(row, url=url, status=ix.SKIPPED, error="playlist nested too deep")
                return
            count = 0
            for entry in entries_of(info, self.params.max_per_source):
                entry_url = entry.get("url") or entry.get("webpage_url") or url
                self.queue.append(self._item(row, entry_url, entry, depth + 1))
                count += 1
            if count == 0:
                self._row(row, url=url, status=ix.FAILED, error="the playlist or search is empty")
        else:
            self.queue.append(self._item(row, url, info, depth))

    @staticmethod
    def _item(row: SourceRow, url: str, info: dict[str, Any], depth: int) -> _Item:
        if info.get("_type") in ("url", "url_transparent"):
            return _Item(row, info["url"], None, info.get("ie_key"), info.get("id"), depth)
        return _Item(row, url, info, info.get("extractor_key"), info.get("id"), depth)

    # -- pass 2: each video --------------------------------------------------------------------
    def fetch_all(self) -> None:
        bar = tqdm(
            total=len(self.queue),
            desc="collect: videos",
            unit="video",
            disable=not self.params.progress,
        )
        with bar:
            while self.queue:
                item = self.queue.popleft()
                before = len(self.queue)
                self._one(item)
                bar.total += len(self.queue) - before  # a nested playlist adds its videos
                bar.update()

    def _one(self, item: _Item) -> None:
        if item.cached is not None and self._from_archive(item, item.cached):
            return
        # A flat entry names its site and id: a known video needs no request at all.
        if item.info is None and item.ie_key and item.raw_id:
            key = video_key(item.ie_key, item.raw_id, None)
            if key in self.seen:
                self._duplicate(item, key)
                return
            if key in self.by_key and self._from_archive(item, self.by_key[key]):
                return
        info = item.info
        url = item.url
        try:
            for _ in range(MAX_DEPTH + 1):
                if info is None:
                    info = self._retrying(
                        url, lambda u=url, k=item.ie_key: self.fetcher.extract(u, ie_key=k)
                    )
                kind = info.get("_type", "video")
                if kind in ("url", "url_transparent"):
                    url, info = info["url"], None
                    continue
                break
            if info is None or info.get("_type", "video") in ("url", "url_transparent"):
                raise FetchError("the URL keeps redirecting to other URLs")
        except FetchError as exc:
            self._row(
                item.row, url=url, video_id=_maybe_id(item.raw_id), status=ix.FAILED, error=str(exc)
            )
            return
        if info.get("_type") in ("playlist", "multi_video"):
            self._enqueue(item.row, url, info, item.depth + 1)
            return
        self._video(item, url, info)

    def _video(self, item: _Item, url: str, info: dict[str, Any]) -> None:
        raw_id = str(info.get("id") or url)
        page = info.get("webpage_url") or url
        key = video_key(info.get("extractor_key") or item.ie_key, raw_id, page)
        if key in self.seen:
            self._duplicate(item, key)
            return
        record = self.by_key.get(key)
        if record is not None and self._from_archive(item, record, alias=item.source_url):
            return
        video_id = unique_id(raw_id, key, self.taken)
        self.taken[video_id] = key
        self.seen[key] = (video_id, item.row.row)
        base = {
            "video_id": video_id,
            "url": page,
            "title": info.get("title"),
            "uploader": info.get("uploader") or info.get("channel"),
        }
        if info.get("is_live") or info.get("live_status") in ("is_live", "is_upcoming"):
            self._row(item.row, **base, status=ix.REJECTED, error="a live or upcoming stream")
            return
        try:
            chosen = self.fetcher.select(info)
            reason = filter_reason(chosen.get("duration"), chosen.get("height"), self.params, True)
            if reason:
                self._reject(item, key, base, chosen, reason, None)
                return
            path = self._retrying(page, lambda: self.fetcher.download(info, video_id))
        except FetchError as exc:
            self._row(item.row, **base, status=ix.FAILED, error=str(exc))
            return
        self._finish(item, key, base, chosen, path)

    def _finish(
        self,
        item: _Item,
        key: str,
        base: dict[str, Any],
        chosen: dict[str, Any],
        path: Path,
    ) -> None:
        """Probe the download, filter it, and only then move it into the videos folder."""
        try:
            if path.suffix.lower() != ".mp4":
                mp4 = path.with_name(f"{path.stem}.remux.mp4")
                try:
                    remux_to_mp4(path, mp4)
                except Exception as exc:
                    mp4.unlink(missing_ok=True)
                    raise ProbeError(
                        f"{path.name}: cannot be rewrapped as mp4 ({exc}); "
                        "pick an mp4 format with collect.format"
                    ) from exc
                path.unlink()
                path = mp4
            probed = probe_video(path)
        except ProbeError as exc:
            path.unlink(missing_ok=True)
            error = f"not a complete video: {_relative(str(exc), path)}"
            self._row(item.row, **base, status=ix.FAILED, error=error)
            return
        reason = filter_reason(probed.duration_s, probed.height, self.params, False)
        if reason:
            path.unlink(missing_ok=True)
            self._reject(item, key, base, chosen, reason, probed)
            return
        sha256 = file_sha256(path)
        twin = self.shas.get(sha256)
        if twin is not None and twin != base["video_id"]:
            path.unlink(missing_ok=True)
            self.taken.pop(base["video_id"], None)
            error = f"the same file as video {twin}"
            self._row(item.row, **base, status=ix.SKIPPED, error=error)
            return
        final = self.videos_dir / f"{base['video_id']}.mp4"
        if final.resolve().parent != self.videos_dir.resolve():  # safe_id makes this impossible
            raise RuntimeError(f"refusing to write {final} outside {self.videos_dir}")
        os.replace(path, final)
        stat = final.stat()
        record = {
            **base,
            "key": key,
            "state": PRESENT,
            "source_urls": [item.source_url] if item.source_url else [],
            "sha256": sha256,
            "size_bytes": stat.st_size,
            "mtime_ns": stat.st_mtime_ns,
            "format_spec": self.params.format_spec,
            "collected_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "info": {k: chosen.get(k) for k in INFO_FIELDS if chosen.get(k) is not None},
            **_probed(probed),
        }
        self.archive.save(record)
        self.shas[sha256] = base["video_id"]
        self._row(item.row, **self._index_fields(record), status=ix.DOWNLOADED)

    def _reject(
        self,
        item: _Item,
        key: str,
        base: dict[str, Any],
        chosen: dict[str, Any],
        reason: str,
        probed: VideoInfo | None,
    ) -> None:
        """Record why, so that a re-run with the same filters need not ask the site again."""
        fields = (
            _probed(probed)
            if probed
            else {
                "duration_s": chosen.get("duration"),
                "height": chosen.get("height"),
                "width": chosen.get("width"),
                "fps": chosen.get("fps"),
            }
        )
        record = {
            **base,
            "key": key,
            "state": REJECTED,
            "probed": probed is not None,
            "source_urls": [item.source_url] if item.source_url else [],
            "format_spec": self.params.format_spec,
            "collected_at": datetime.now(UTC).isoformat(timespec="seconds"),
            **fields,
        }
        self.archive.save(record)
        self._row(item.row, **self._index_fields(record), status=ix.REJECTED, error=reason)

    def _from_archive(self, item: _Item, record: dict[str, Any], alias: str | None = None) -> bool:
        """Account for a video from its archive record; False when it must be fetched again."""
        if record.get("format_spec") != self.params.format_spec:
            return False
        state = record.get("state")
        reason = filter_reason(
            record.get("duration_s"),
            record.get("height"),
            self.params,
            not record.get("probed", True),
        )
        if state == PRESENT and not self.archive.file_intact(record):
            return False
        if state == REJECTED and reason is None:
            return False  # the filters changed and now let it through: fetch it
        key = record["key"]
        if key in self.seen:
            self._duplicate(item, key)
            return True
        self.seen[key] = (record["video_id"], item.row.row)
        if alias and alias not in record.get("source_urls", []):
            record = {**record, "source_urls": [*record.get("source_urls", []), alias]}
            self.archive.save(record)
        fields = self._index_fields(record)
        if state == PRESENT and reason is None:
            self._row(item.row, **fields, status=ix.ALREADY_PRESENT)
        elif state == PRESENT:
            # Filters tightened since it was fetched: the folder keeps only usable videos.
            self.archive.video_path(record["video_id"]).unlink(missing_ok=True)
            self.archive.save({**record, "state": REJECTED, "probed": True})
            self._row(item.row, **{**fields, "path": None}, status=ix.REJECTED, error=reason)
        else:
            self._row(item.row, **fields, status=ix.REJECTED, error=reason)
        return True

    def _index_fields(self, record: dict[str, Any]) -> dict[str, Any]:
        present = record.get("state") == PRESENT
        return {
            "video_id": record["video_id"],
            "url": record.get("url"),
            "title": record.get("title"),
            "uploader": record.get("uploader"),
            "duration_s": record.get("duration_s"),
            "fps": record.get("fps"),
            "width": record.get("width"),
            "height": record.get("height"),
            "frames": record.get("frames"),
            "path": self.archive.video_path(record["video_id"]).as_posix() if present else None,
            "size_bytes": record.get("size_bytes") if present else None,
            "sha256": record.get("sha256") if present else None,
        }

    def _duplicate(self, item: _Item, key: str) -> None:
        video_id, row = self.seen[key]
        error = f"video {video_id} is already listed by row {row}"
        self._row(item.row, video_id=video_id, url=item.url, status=ix.SKIPPED, error=error)

    def _row(self, row: SourceRow, **fields: Any) -> None:
        self.rows.append({"source_url": row.url, "source_row": row.row, "note": row.note, **fields})

    def _retrying(self, what: str, call: Callable[[], T]) -> T:
        """Try again, with exponential back-off, when the failure looks temporary."""
        attempt = 0
        while True:
            try:
                return call()
            except FetchError as exc:
                attempt += 1
                if not exc.transient or attempt > self.params.retries:
                    raise
                wait = self.params.backoff(attempt)
                logger.info(
                    "%s: %s; retry %d of %d in %.1f s",
                    what,
                    exc,
                    attempt,
                    self.params.retries,
                    wait,
                )
                time.sleep(wait)


def filter_reason(
    duration_s: float | None, height: int | None, params: CollectParams, claimed: bool
) -> str | None:
    """Why a video is rejected by the duration and height filters, or None. Unknown values pass
    (a site may not say); the file's own values are checked after the download."""
    says = "the site says" if claimed else "the file is"
    low, high = params.min_duration_s, params.max_duration_s
    if duration_s is not None and duration_s < low:
        return f"too short: {says} {duration_s:.1f} s, collect.min_duration_s is {low}"
    if high is not None and duration_s is not None and duration_s > high:
        return f"too long: {says} {duration_s:.1f} s, collect.max_duration_s is {high}"
    if height is not None and height < params.min_height:
        return f"too small: {says} {height} px high, collect.min_height is {params.min_height}"
    return None


def file_sha256(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _probed(info: VideoInfo) -> dict[str, Any]:
    return {
        "duration_s": info.duration_s,
        "fps": info.fps,
        "width": info.width,
        "height": info.height,
        "frames": info.frames,
        "codec": info.codec,
        "probed": True,
    }


def _maybe_id(raw_id: str | None) -> str | None:
    return safe_id(raw_id) if raw_id else None


def _relative(message: str, path: Path) -> str:
    """Name the file by its id, not by the work folder's absolute path."""
    return message.replace(str(path), path.name)


def _nothing_message(table: pd.DataFrame, origin: str, limit: int = 50) -> str:
    lines = [
        f"collect: not one video could be collected from {origin} "
        f"({table['source_row'].nunique()} rows). Each row's reason:"
    ]
    for _, r in table.head(limit).iterrows():
        where = r["source_url"] if pd.notna(r["source_url"]) else "(blank)"
        lines.append(f"  row {r['source_row']} {where}: {r['status']}: {r['error']}")
    if len(table) > limit:
        lines.append(f"  ... and {len(table) - limit} more rows")
    lines.append("Fix these rows or the filters (conf/*/parameters_collect.yml) and run again.")
    return "\n".join(lines)


def _warn_orphans(videos_dir: Path, usable: set[str]) -> None:
    orphans = sorted(p.name for p in videos_dir.glob("*.mp4") if p.stem not in usable)
    if orphans:
        logger.warning(
            "%s holds %d video(s) that rm_sources no longer lists (%s%s); they are left in "
            "place, and facetrack reads them too: delete them if unwanted",
            videos_dir,
            len(orphans),
            ", ".join(orphans[:5]),
            " ..." if len(orphans) > 5 else "",
        )
