"""Source rows into candidate videos: a playlist, channel or search becomes its videos.

A row whose URL the archive knows becomes its video at once, with no request. Others are asked
once (flat: a playlist's entries carry an id and a URL, not their formats), and each entry is
queued; pointers (`url` results) are followed when the candidate is fetched.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tqdm.auto import tqdm

from rmfer.collect import index as ix
from rmfer.collect.archive import ArchiveRecord
from rmfer.collect.download import FetchError, entries_of, retrying
from rmfer.collect.run import Run
from rmfer.collect.sources import SourceRow

MAX_DEPTH = 3  # a channel holds tabs, a tab holds playlists, a playlist holds videos
POINTERS = ("url", "url_transparent")
PLAYLISTS = ("playlist", "multi_video")


@dataclass
class Candidate:
    """One video to account for; `info` is None until the site has been asked."""

    row: SourceRow
    url: str
    info: dict[str, Any] | None = None
    ie_key: str | None = None
    raw_id: str | None = None
    depth: int = 0
    cached: ArchiveRecord | None = None  # an archive record found by the row's URL

    @property
    def source_url(self) -> str | None:
        """The row's URL when it names this one video (not a playlist or search holding it):
        the archive maps such URLs to their videos, so a re-run asks nothing."""
        return self.row.url if self.depth == 0 else None


def expand_sources(run: Run, rows: list[SourceRow]) -> None:
    """Queue every row's videos; a row the site cannot answer is a failed index row."""
    for row in tqdm(rows, desc="collect: sources", unit="row", disable=not run.params.progress):
        record = run.archive.find_by_url(row.url)
        if record is not None:
            run.queue.append(Candidate(row, row.url, cached=record))
            continue
        try:
            info = retrying(row.url, lambda row=row: run.fetcher.extract(row.url), run.params)
        except FetchError as exc:
            run.report(row, url=row.url, status=ix.FAILED, error=str(exc))
            continue
        enqueue(run, row, row.url, info, depth=0)


def enqueue(run: Run, row: SourceRow, url: str, info: dict[str, Any], depth: int) -> None:
    """Queue a site's answer: a video as itself, a playlist as its entries."""
    if info.get("_type", "video") not in PLAYLISTS:
        run.queue.append(_candidate(row, url, info, depth))
        return
    if depth >= MAX_DEPTH:
        run.report(row, url=url, status=ix.SKIPPED, error="playlist nested too deep")
        return
    count = 0
    for entry in entries_of(info, run.params.max_per_source):
        entry_url = entry.get("url") or entry.get("webpage_url") or url
        run.queue.append(_candidate(row, entry_url, entry, depth + 1))
        count += 1
    if count == 0:
        run.report(row, url=url, status=ix.FAILED, error="the playlist or search is empty")


def resolve(run: Run, candidate: Candidate) -> tuple[str, dict[str, Any]]:
    """The candidate's URL and the site's full answer for it, following pointers; a FetchError
    names the URL it stopped at."""
    info, url = candidate.info, candidate.url
    for _ in range(MAX_DEPTH + 1):
        if info is None:
            try:
                info = retrying(
                    url,
                    lambda u=url, k=candidate.ie_key: run.fetcher.extract(u, ie_key=k),
                    run.params,
                )
            except FetchError as exc:
                raise FetchError(str(exc), exc.transient, url=url) from exc
        if info.get("_type", "video") not in POINTERS:
            return url, info
        url, info = info["url"], None
    raise FetchError("the URL keeps redirecting to other URLs", url=url)


def _candidate(row: SourceRow, url: str, info: dict[str, Any], depth: int) -> Candidate:
    if info.get("_type") in POINTERS:
        return Candidate(row, info["url"], None, info.get("ie_key"), info.get("id"), depth)
    return Candidate(row, url, info, info.get("extractor_key"), info.get("id"), depth)
