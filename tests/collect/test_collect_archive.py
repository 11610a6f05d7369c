"""Archive records: typed in memory, the same bytes on disk as the records earlier runs wrote."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rmfer.collect.archive import SUFFIX, Archive, ArchiveRecord, Identity, KeptFile
from rmfer.video.probe import VideoInfo

FORMAT = "bv[height<=?720]/b[height<=?720]"
IDENTITY = {
    "video_id": "abc",
    "key": "youtube:abc",
    "url": "https://www.youtube.com/watch?v=abc",
    "title": "A reaction mashup",
    "uploader": None,
    "source_urls": ["https://youtu.be/abc"],
}
PROBED = {
    "duration_s": 12.5,
    "fps": 25.0,
    "width": 640,
    "height": 360,
    "frames": 312,
    "codec": "h264",
    "probed": True,
}
FILE = {
    "sha256": "0" * 64,
    "size_bytes": 1234,
    "mtime_ns": 1700000000123456789,
    "info": {"id": "abc", "extractor_key": "Youtube", "height": 360},
}
COMMON = {"format_spec": FORMAT, "collected_at": "2026-01-02T03:04:05+00:00"}
# The three shapes earlier runs wrote, and a present video rejected when the filters tightened.
SHAPES = {
    "present": {**IDENTITY, **COMMON, "state": "present", **PROBED, **FILE},
    "rejected by the file": {**IDENTITY, **COMMON, "state": "rejected", **PROBED},
    "rejected by the site's claim": {
        **IDENTITY,
        **COMMON,
        "state": "rejected",
        "probed": False,
        "duration_s": 30,
        "height": None,
        "width": None,
        "fps": None,
    },
    "present, then rejected": {**IDENTITY, **COMMON, "state": "rejected", **PROBED, **FILE},
}


def as_written_before(record: dict) -> str:
    """How records were written before they were typed (Archive.save of a dict)."""
    return json.dumps({"schema": 1, **record}, indent=1, sort_keys=True, default=str)


@pytest.mark.parametrize("shape", SHAPES)
def test_records_read_back_to_the_same_bytes(shape):
    text = as_written_before(SHAPES[shape])
    record = ArchiveRecord.from_json(json.loads(text))
    assert record.to_json() == text
    assert record.source_urls == ("https://youtu.be/abc",)


def test_unknown_keys_are_kept_and_a_record_missing_keys_is_fetched_again(tmp_path: Path):
    extra = {**SHAPES["present"], "added_later": [1, 2]}
    (tmp_path / f"abc{SUFFIX}").write_text(as_written_before(extra))
    broken = {k: v for k, v in SHAPES["present"].items() if k != "key"} | {"video_id": "def"}
    (tmp_path / f"def{SUFFIX}").write_text(as_written_before(broken))
    (tmp_path / f"ghi{SUFFIX}").write_text("[1, 2]")

    archive = Archive.load(tmp_path)

    assert list(archive.records) == ["abc"]
    assert archive.records["abc"].extra == {"added_later": [1, 2]}
    assert archive.records["abc"].to_json() == as_written_before(extra)


def test_new_records_and_the_lookups_follow_each_save(tmp_path: Path):
    identity = Identity(**{**IDENTITY, "source_urls": ("https://youtu.be/abc",)})
    probe = VideoInfo(fps=25.0, width=640, height=360, duration_s=12.5, frames=312, codec="h264")
    kept = KeptFile(FILE["sha256"], FILE["size_bytes"], FILE["mtime_ns"], FILE["info"])
    present = ArchiveRecord.new(identity, "present", FORMAT, probe, {}, kept)
    claimed = ArchiveRecord.new(identity, "rejected", FORMAT, None, {"duration": 30})
    assert (
        json.loads(present.to_json()).keys()
        == json.loads(as_written_before(SHAPES["present"])).keys()
    )
    assert json.loads(claimed.to_json()) == {
        **json.loads(as_written_before(SHAPES["rejected by the site's claim"])),
        "collected_at": claimed.collected_at,
    }

    archive = Archive(tmp_path)
    archive.save(present)
    assert archive.find_by_sha(FILE["sha256"]) == present
    assert archive.find_by_key("youtube:abc") == present
    mirrored = present.with_source_url("https://mirror.example/abc.mp4")
    archive.save(mirrored)
    assert archive.find_by_url("https://mirror.example/abc.mp4") == mirrored
    assert Archive.load(tmp_path).records == {"abc": mirrored}
    archive.save(claimed)
    assert archive.find_by_sha(FILE["sha256"]) is None
    assert archive.find_by_url("https://mirror.example/abc.mp4") is None
    assert archive.find_by_url("https://youtu.be/abc") == claimed
