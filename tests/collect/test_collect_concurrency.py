"""collect.concurrency: several downloads at once give the index of one at a time."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from rmfer.collect import collect_videos
from rmfer.errors import ParameterError

DELAY_S = 0.3  # each video's answer waits this long, so that downloads at once overlap


def sources(*urls: str) -> pd.DataFrame:
    return pd.DataFrame({"url": list(urls), "note": [f"row {i}" for i in range(len(urls))]})


def listing(index: pd.DataFrame, videos_dir: str) -> pd.DataFrame:
    """The index with the videos folder left out of its paths."""
    return index.assign(path=index["path"].str.replace(videos_dir, "<videos>", regex=False))


def test_three_at_once_give_the_index_of_one_and_never_more_than_three(
    loopback, make_mp4, params, tmp_path
):
    videos = [make_mp4(seed=100 + i) for i in range(6)]
    urls = [loopback.add(f"/v{i}.mp4", data, delay_s=DELAY_S) for i, data in enumerate(videos)]
    mirror = loopback.add("/mirror.mp4", videos[2], delay_s=DELAY_S)  # the same bytes as v2
    cut = loopback.add("/cut.mp4", videos[5][: len(videos[5]) // 2], delay_s=DELAY_S)
    loopback.add("/p/a.mp4", make_mp4(seed=120), delay_s=DELAY_S)
    loopback.add("/p/b.mp4", make_mp4(seed=121), delay_s=DELAY_S)
    both = loopback.add(
        "/both.html",
        '<html><body><video src="/p/a.mp4"></video><video src="/p/b.mp4"></video></body></html>',
        content_type="text/html",
    )
    rows = sources(urls[0], both, urls[1], mirror, urls[2], loopback.url("/gone.mp4"), cut)
    rows = pd.concat([rows, sources(urls[0], *urls[3:])], ignore_index=True)

    indexes, folders = {}, {}
    for concurrency in (1, 3):
        loopback.most_at_once = 0
        p = params(videos_dir=str(tmp_path / f"videos_{concurrency}"), concurrency=concurrency)
        indexes[concurrency] = listing(collect_videos(rows, p), p.videos_dir)
        folders[concurrency] = sorted(f.name for f in Path(p.videos_dir).iterdir())
        most = loopback.most_at_once
        assert most == 1 if concurrency == 1 else 1 < most <= concurrency, (concurrency, most)

    pd.testing.assert_frame_equal(indexes[3], indexes[1])
    assert folders[3] == folders[1]
    status = indexes[1]["status"].value_counts().to_dict()
    assert status == {"downloaded": 8, "failed": 2, "skipped": 2}


def test_concurrency_is_at_least_one(params):
    with pytest.raises(ParameterError, match=r"collect\.concurrency = 0 is invalid"):
        params(concurrency=0)
