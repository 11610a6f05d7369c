"""One candidate video: de-duplicated, checked against the archive, fetched, probed, filtered, and
only then moved into the videos folder; every outcome is one index row and, once the site has
answered, one archive record.

Up to `collect.concurrency` downloads run at once, on a thread pool: a download waits on the
network, not the CPU. Only the download and the probe and hash of its file run there. Everything
else, deciding what to fetch and accounting for each outcome, runs in the calling thread in
queue order, so the index, the records and the folder are those of one download at a time. (One
exception, for a rare case: when a download turns out to be the same file as a video an earlier
run recorded, and a later row naming that video is reached while the download runs, the earlier
row is recorded as skipped, the same file, and the later one as already present.)
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from rmfer.collect import index as ix
from rmfer.collect.archive import (
    INFO_FIELDS,
    PRESENT,
    REJECTED,
    ArchiveRecord,
    Identity,
    KeptFile,
)
from rmfer.collect.download import FetchError, remux_to_mp4, retrying
from rmfer.collect.expand import PLAYLISTS, Candidate, enqueue, resolve
from rmfer.collect.ids import safe_id, unique_id, video_key
from rmfer.collect.params import CollectParams
from rmfer.collect.run import Run
from rmfer.errors import StageError
from rmfer.faults import checkpoint
from rmfer.video.probe import ProbeError, VideoInfo, probe_video


@dataclasses.dataclass(frozen=True)
class Download:
    """A video decided on and listed: what its download needs, and what accounting for it does."""

    candidate: Candidate
    identity: Identity
    info: dict[str, Any]
    chosen: dict[str, Any]  # the info with the chosen format's fields
    page: str


@dataclasses.dataclass(frozen=True)
class Fetched:
    """A download, probed complete and hashed, still in the work folder."""

    path: Path
    probed: VideoInfo
    sha256: str


def fetch_all(run: Run) -> None:
    """Account for every queued candidate, in queue order, up to `collect.concurrency`
    downloads running at once; a nested playlist queues more as it goes."""
    bar = tqdm(
        total=len(run.queue), desc="collect: videos", unit="video", disable=not run.params.progress
    )
    concurrency = run.params.concurrency
    pending: deque[tuple[int, Download, Future[Fetched]]] = deque()
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="download")
    try:
        with bar:
            position = 0
            while run.queue or pending:
                if run.queue and len(pending) < concurrency:
                    candidate = run.queue.popleft()
                    before = len(run.queue)
                    with run.accounting_for(position):
                        download = fetch_candidate(run, candidate)
                    bar.total += len(run.queue) - before
                    if download is None:
                        bar.update()
                    else:
                        pending.append((position, download, pool.submit(fetch_file, run, download)))
                    position += 1
                    continue
                # The oldest download is accounted for first, as it would be one at a time.
                queued_at, download, future = pending.popleft()
                with run.accounting_for(queued_at):
                    _account_for_download(run, download, future)
                bar.update()
    finally:
        pool.shutdown(wait=False, cancel_futures=True)  # an error stops the run: no more starts
    run.rows_in_queue_order()


def fetch_candidate(run: Run, candidate: Candidate) -> Download | None:
    """Account for one candidate: from the archive when it can, else by asking the site; the
    download to run when it needs one."""
    if candidate.cached is not None and reuse_record(run, candidate, candidate.cached):
        return None
    # A flat entry names its site and id: a known video needs no request at all.
    if candidate.info is None and candidate.ie_key and candidate.raw_id:
        key = video_key(candidate.ie_key, candidate.raw_id, None)
        if key in run.listed:
            run.duplicate(candidate.row, candidate.url, key)
            return None
        record = run.archive.find_by_key(key)
        if record is not None and reuse_record(run, candidate, record):
            return None
    try:
        url, info = resolve(run, candidate)
    except FetchError as exc:
        video_id = safe_id(candidate.raw_id) if candidate.raw_id else None
        url = exc.url or candidate.url
        run.report(candidate.row, url=url, video_id=video_id, status=ix.FAILED, error=str(exc))
        return None
    if info.get("_type") in PLAYLISTS:
        enqueue(run, candidate.row, url, info, candidate.depth + 1)
        return None
    return _fetch_video(run, candidate, url, info)


def fetch_file(run: Run, download: Download) -> Fetched:
    """Download, probe and hash one video, on a download thread with its own yt-dlp."""
    fetcher = run.download_fetcher()
    video_id = download.identity.video_id
    path = retrying(download.page, lambda: fetcher.download(download.info, video_id), run.params)
    path, probed = _probed_mp4(path)
    return Fetched(path, probed, file_sha256(path))


def _account_for_download(run: Run, download: Download, future: Future[Fetched]) -> None:
    """The download's outcome: a failed row, or the file kept or rejected."""
    try:
        fetched = future.result()
    except (FetchError, ProbeError) as exc:
        row = download.candidate.row
        run.report(row, **_named(download.identity), status=ix.FAILED, error=str(exc))
        return
    _keep(run, download, fetched)


def _fetch_video(run: Run, candidate: Candidate, url: str, info: dict[str, Any]) -> Download | None:
    raw_id = str(info.get("id") or url)
    page = info.get("webpage_url") or url
    key = video_key(info.get("extractor_key") or candidate.ie_key, raw_id, page)
    if key in run.listed:
        run.duplicate(candidate.row, candidate.url, key)
        return None
    record = run.archive.find_by_key(key)
    if record is not None and reuse_record(run, candidate, record, alias=candidate.source_url):
        return None
    video_id = unique_id(raw_id, key, run.claimed)
    run.claimed[video_id] = key
    run.list_video(key, video_id, candidate.row)
    identity = Identity(
        video_id=video_id,
        key=key,
        url=page,
        title=info.get("title"),
        uploader=info.get("uploader") or info.get("channel"),
        source_urls=(candidate.source_url,) if candidate.source_url else (),
    )
    if info.get("is_live") or info.get("live_status") in ("is_live", "is_upcoming"):
        error = "a live or upcoming stream"
        run.report(candidate.row, **_named(identity), status=ix.REJECTED, error=error)
        return None
    try:
        chosen = run.fetcher.select(info)
    except FetchError as exc:
        run.report(candidate.row, **_named(identity), status=ix.FAILED, error=str(exc))
        return None
    reason = filter_reason(chosen.get("duration"), chosen.get("height"), run.params, True)
    if reason:
        _reject(run, candidate, identity, chosen, reason, None)
        return None
    return Download(candidate, identity, info, chosen, page)


def _keep(run: Run, download: Download, fetched: Fetched) -> None:
    """Filter the probed download, and only then move it into the videos folder."""
    candidate, identity, chosen = download.candidate, download.identity, download.chosen
    path, probed, sha256 = fetched.path, fetched.probed, fetched.sha256
    reason = filter_reason(probed.duration_s, probed.height, run.params, False)
    if reason:
        path.unlink(missing_ok=True)
        _reject(run, candidate, identity, chosen, reason, probed)
        return
    if _account_as_twin(run, candidate, identity, path, sha256):
        return
    final = run.videos_dir / f"{identity.video_id}.mp4"
    if final.resolve().parent != run.videos_dir.resolve():  # safe_id makes this impossible
        raise StageError(f"refusing to write {final} outside {run.videos_dir}")
    os.replace(path, final)
    checkpoint("collect_video_placed")  # tests/faults/: the video in place, no record yet
    stat = final.stat()
    info = {k: chosen.get(k) for k in INFO_FIELDS if chosen.get(k) is not None}
    kept = KeptFile(sha256, stat.st_size, stat.st_mtime_ns, info)
    record = ArchiveRecord.new(identity, PRESENT, run.params.format_spec, probed, chosen, kept)
    run.archive.save(record)
    run.report(candidate.row, **run.index_fields(record), status=ix.DOWNLOADED)


def _account_as_twin(
    run: Run, candidate: Candidate, identity: Identity, path: Path, sha256: str
) -> bool:
    """True when the download's bytes are another video's, kept in the folder: the download is
    dropped. A video this run already listed makes the row a duplicate; one the archive holds from
    earlier runs (a mirror, a re-upload, a moved server) stays usable, already present, with this
    row's URL added to its record. False when the bytes are new, or the twin's file is gone."""
    twin = run.archive.find_by_sha(sha256)
    if twin is None or twin.video_id == identity.video_id:
        return False
    listed = twin.key in run.listed
    if not listed and not run.archive.file_intact(twin):
        return False
    path.unlink(missing_ok=True)
    run.claimed.pop(identity.video_id, None)
    if listed:
        error = f"the same file as video {twin.video_id}"
        run.report(candidate.row, **_named(identity), status=ix.SKIPPED, error=error)
        return True
    record = twin.with_source_url(candidate.source_url)
    if record is not twin:
        run.archive.save(record)
    run.list_video(twin.key, twin.video_id, candidate.row)
    run.list_video(identity.key, twin.video_id, candidate.row)
    run.report(candidate.row, **run.index_fields(record), status=ix.ALREADY_PRESENT)
    return True


def _reject(
    run: Run,
    candidate: Candidate,
    identity: Identity,
    chosen: dict[str, Any],
    reason: str,
    probed: VideoInfo | None,
) -> None:
    """Record why, so that a re-run with the same filters need not ask the site again."""
    record = ArchiveRecord.new(identity, REJECTED, run.params.format_spec, probed, chosen)
    run.archive.save(record)
    run.report(candidate.row, **run.index_fields(record), status=ix.REJECTED, error=reason)


def reuse_record(
    run: Run, candidate: Candidate, record: ArchiveRecord, alias: str | None = None
) -> bool:
    """Account for a video from its archive record; False when it must be fetched again.

    `alias`, a source URL that names this video, is added to the record's sources.
    """
    if record.format_spec != run.params.format_spec:
        return False
    reason = filter_reason(record.duration_s, record.height, run.params, not record.probed)
    if record.state == PRESENT and not run.archive.file_intact(record):
        return False
    if record.state == REJECTED and reason is None:
        return False  # the filters changed and now let it through: fetch it
    if record.key in run.listed:
        run.duplicate(candidate.row, candidate.url, record.key)
        return True
    run.list_video(record.key, record.video_id, candidate.row)
    updated = record.with_source_url(alias)
    if updated is not record:
        run.archive.save(updated)
    fields = run.index_fields(updated)
    if record.state == PRESENT and reason is None:
        run.report(candidate.row, **fields, status=ix.ALREADY_PRESENT)
    elif record.state == PRESENT:
        # Filters tightened since it was fetched: the folder keeps only usable videos.
        run.archive.video_path(record.video_id).unlink(missing_ok=True)
        run.archive.save(dataclasses.replace(updated, state=REJECTED, probed=True))
        fields["path"] = None
        run.report(candidate.row, **fields, status=ix.REJECTED, error=reason)
    else:
        run.report(candidate.row, **fields, status=ix.REJECTED, error=reason)
    return True


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


def _probed_mp4(path: Path) -> tuple[Path, VideoInfo]:
    """The download as a probed-complete mp4 (rewrapped if need be); on a ProbeError, naming the
    file by its id, the download is deleted."""
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
        return path, probe_video(path)
    except ProbeError as exc:
        path.unlink(missing_ok=True)
        raise ProbeError(f"not a complete video: {str(exc).replace(str(path), path.name)}") from exc


def _named(identity: Identity) -> dict[str, Any]:
    """The index columns known before the file is: which video, where, what it is called."""
    return {
        "video_id": identity.video_id,
        "url": identity.url,
        "title": identity.title,
        "uploader": identity.uploader,
    }
