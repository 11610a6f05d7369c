"""Safe video ids: never a path, never a collision."""

from __future__ import annotations

import re

import pytest

from rmfer.collect.ids import MAX_ID_LENGTH, safe_id, unique_id, video_key

SAFE = re.compile(r"[A-Za-z0-9_-]+")


@pytest.mark.parametrize("raw", ["dQw4w9WgXcQ", "-abc_DEF-12", "rm_001"])
def test_site_ids_pass_unchanged(raw):
    assert safe_id(raw) == raw


@pytest.mark.parametrize(
    "raw",
    ["../../etc/passwd", "a/b", "..", ".", "", "con:x", "x" * 500, "é" * 10, "a\x00b", "/", "\\\\"],
)
def test_anything_else_becomes_a_safe_name_with_a_hash(raw):
    out = safe_id(raw)
    assert SAFE.fullmatch(out), out
    assert 0 < len(out) <= MAX_ID_LENGTH
    assert re.search(r"-[0-9a-f]{8}$", out)


def test_distinct_ids_stay_distinct():
    raws = ["a/b", "a_b", "a b", "a?b", "x" * 200, "x" * 201]
    assert len({safe_id(r) for r in raws}) == len(raws)


def test_generic_videos_are_keyed_by_url_and_collisions_get_a_hash():
    one = video_key("Generic", "video", "http://a.example/video.mp4")
    two = video_key("Generic", "video", "http://b.example/video.mp4")
    assert one != two
    assert video_key("Youtube", "abc", "http://x") == video_key("Youtube", "abc", "http://y")
    taken = {"video": one}
    assert unique_id("video", one, taken) == "video"
    other = unique_id("video", two, taken)
    assert other != "video" and other.startswith("video-") and SAFE.fullmatch(other)
