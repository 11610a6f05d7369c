"""The collect stage against a real HTTP server on 127.0.0.1 and file:// URLs; yt-dlp is real."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from pathlib import Path
from urllib.parse import quote

import pandas as pd
import pytest

from rmfer.collect import CollectError, collect_videos
from rmfer.collect.archive import SUFFIX
from rmfer.video.probe import probe_video


def sources(*urls: str | None) -> pd.DataFrame:
    return pd.DataFrame({"url": list(urls), "note": [f"row {i}" for i in range(len(urls))]})


def page(*videos: str, title: str = "A reaction mashup") -> str:
    tags = "".join(f'<video src="{v}"></video>' for v in videos)
    return f"<html><head><title>{title}</title></head><body>{tags}</body></html>"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def by_url(index: pd.DataFrame) -> dict[str, pd.Series]:
    return {row.source_url: row for row in index.itertuples()}


def files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_everything_downloads_and_is_probed(loopback, make_mp4, params, tmp_path):
    direct = make_mp4(seed=1, width=64, height=48, fps=10)
    behind_page = make_mp4(seed=2, width=80, height=64, fps=12)
    local = make_mp4(seed=3, width=96, height=48, fps=5)
    loopback.add("/clips/direct.mp4", direct)
    loopback.add("/media/b.mp4", behind_page)
    page_url = loopback.add("/watch.html", page("/media/b.mp4"), content_type="text/html")
    local_path = tmp_path / "local.mp4"
    local_path.write_bytes(local)
    p = params()

    index = collect_videos(
        sources(loopback.url("/clips/direct.mp4"), page_url, local_path.as_uri()), p
    )

    assert list(index["status"]) == ["downloaded"] * 3
    rows = by_url(index)
    for url, data, (w, h, fps) in [
        (loopback.url("/clips/direct.mp4"), direct, (64, 48, 10)),
        (page_url, behind_page, (80, 64, 12)),
        (local_path.as_uri(), local, (96, 48, 5)),
    ]:
        row = rows[url]
        assert row.sha256 == sha(data)
        assert (row.width, row.height, row.fps) == (w, h, fps)
        assert row.frames == 20
        assert row.duration_s == pytest.approx(20 / fps, abs=1e-6)
        assert Path(row.path).read_bytes() == data
        assert Path(row.path).name == f"{row.video_id}.mp4"
        record = json.loads(Path(p.videos_dir, f"{row.video_id}{SUFFIX}").read_text())
        assert record["sha256"] == row.sha256 and record["state"] == "present"
    assert rows[page_url].title == "A reaction mashup (1)"
    assert rows[loopback.url("/clips/direct.mp4")].video_id == "direct"
    assert not Path(p.videos_dir + ".partial").exists(), "the work folder is removed when empty"


def test_faults_are_recorded_while_the_rest_downloads(loopback, make_mp4, params, tmp_path):
    good = make_mp4(seed=10)
    also_good = make_mp4(seed=11)
    truncated = make_mp4(seed=12)
    ok1 = loopback.add("/ok1.mp4", good)
    ok2 = loopback.add("/ok2.mp4", also_good)
    dead = loopback.url("/gone.mp4")
    no_media = loopback.add(
        "/about.html", "<html><body><p>no video</p></body></html>", content_type="text/html"
    )
    text = loopback.add("/fake.mp4", "this is only text, not a video\n" * 20)
    cut = loopback.add("/cut.mp4", truncated[: len(truncated) // 2])
    local = tmp_path / "local.mp4"
    local.write_bytes(make_mp4(seed=13))
    table = sources(
        ok1,
        dead,
        no_media,
        text,
        cut,
        "ftp://example.org/v.mp4",
        local.as_uri(),
        None,
        "# a comment",
        ok1,
        ok2,
    )
    p = params(allow_local_files=False)

    index = collect_videos(table, p)

    status = {(r.source_row, r.status) for r in index.itertuples()}
    assert status == {
        (1, "downloaded"),
        (2, "failed"),
        (3, "failed"),
        (4, "failed"),
        (5, "failed"),
        (6, "rejected"),
        (7, "rejected"),
        (8, "skipped"),
        (9, "skipped"),
        (10, "skipped"),
        (11, "downloaded"),
    }
    error = dict(zip(index["source_row"], index["error"], strict=True))
    assert "404" in error[2]
    assert "no video found" in error[3]
    assert "not a complete video" in error[4] and "fake" in error[4]
    assert "not a complete video" in error[5]
    assert "unsupported scheme 'ftp'" in error[6]
    assert "allow_local_files is false" in error[7]
    assert error[8] == "blank url"
    assert error[9] == "comment"
    assert error[10] == "duplicate of row 1"
    assert index.loc[index["status"] == "downloaded", "error"].isna().all()
    assert files(Path(p.videos_dir)) == sorted(
        ["ok1.mp4", "ok1.info.json", "ok2.mp4", "ok2.info.json"]
    )
    assert not Path(p.videos_dir + ".partial").exists()


def test_nothing_collected_fails_listing_every_row(loopback, params):
    dead = loopback.url("/gone.mp4")
    text = loopback.add("/fake.mp4", "not a video")
    with pytest.raises(CollectError) as caught:
        collect_videos(sources(dead, text, "ftp://example.org/x.mp4", None), params())
    message = str(caught.value)
    assert "not one video" in message
    for line in [
        f"row 1 {dead}: failed:",
        f"row 2 {text}: failed: not a complete video",
        "row 3 ftp://example.org/x.mp4: rejected: unsupported scheme",
        "row 4 (blank): skipped: blank url",
    ]:
        assert line in message


def test_source_list_without_url_column_names_it(params):
    with pytest.raises(ValueError, match=r"my_sources.csv: no `url` column .*'link'"):
        collect_videos(pd.DataFrame({"link": ["http://x"]}), params(), origin="my_sources.csv")
    with pytest.raises(CollectError, match="has no rows"):
        collect_videos(pd.DataFrame({"url": []}), params())


@pytest.mark.parametrize("declare_length", [True, False], ids=["connection-dropped", "server-died"])
def test_interrupted_download_is_never_kept_and_a_rerun_completes(
    loopback, make_mp4, params, declare_length
):
    """Half the bytes, then the connection drops: with a Content-Length yt-dlp notices and
    retries; without one (a server that died) only the probe can tell. Either way no file."""
    data = make_mp4(seed=20, frames=40)
    url = loopback.add("/big.mp4", data, cut_at=len(data) // 2, declare_length=declare_length)
    other = loopback.add("/other.mp4", make_mp4(seed=21))
    p = params()

    first = collect_videos(sources(url, other), p)

    row = by_url(first)[url]
    assert row.status == "failed"
    assert ("cut short" if declare_length else "not a complete video") in row.error
    assert not Path(p.videos_dir, "big.mp4").exists()
    assert not Path(p.videos_dir, f"big{SUFFIX}").exists()

    loopback.routes["/big.mp4"].cut_at = None  # the server is back
    second = collect_videos(sources(url, other), p)

    assert dict(zip(second["source_url"], second["status"], strict=True)) == {
        url: "downloaded",
        other: "already present",
    }
    assert Path(p.videos_dir, "big.mp4").read_bytes() == data
    assert by_url(second)[url].sha256 == sha(data)
    assert files(Path(p.videos_dir)).count("big.mp4") == 1
    assert not Path(p.videos_dir + ".partial").exists()


def test_leftover_partial_files_are_not_trusted(loopback, make_mp4, params):
    data = make_mp4(seed=22)
    url = loopback.add("/v.mp4", data)
    p = params()
    work = Path(p.videos_dir + ".partial")
    work.mkdir(parents=True)
    (work / "v.mp4.part").write_bytes(b"garbage from a killed run" * 10)
    (work / "v.mp4").write_bytes(data[: len(data) // 3])  # finished name, but never probed

    index = collect_videos(sources(url), p)

    assert index.loc[0, "status"] == "downloaded"
    assert Path(p.videos_dir, "v.mp4").read_bytes() == data
    assert not work.exists()


def test_transient_server_error_is_retried(loopback, make_mp4, params):
    data = make_mp4(seed=23)
    url = loopback.add("/busy.mp4", data, fail_first=1)
    index = collect_videos(sources(url), params(retries=2))
    assert index.loc[0, "status"] == "downloaded"
    assert loopback.routes["/busy.mp4"].gets >= 2


def test_a_missing_local_file_fails_at_once(make_mp4, params, tmp_path, caplog):
    """Waiting does not bring a missing file back: no retries, unlike a busy server."""
    good = tmp_path / "good.mp4"
    good.write_bytes(make_mp4(seed=24))
    gone = (tmp_path / "gone.mp4").as_uri()
    with caplog.at_level(logging.INFO, logger="rmfer.collect"):
        index = collect_videos(sources(gone, good.as_uri()), params(retries=3, backoff_s=5))
    assert list(index["status"]) == ["failed", "downloaded"]
    assert "No such file or directory" in index.loc[0, "error"]
    assert "retry" not in caplog.text


def test_rerun_asks_nothing_for_videos_already_present(loopback, make_mp4, params):
    urls = [loopback.add(f"/v{i}.mp4", make_mp4(seed=30 + i)) for i in range(3)]
    p = params()
    collect_videos(sources(*urls), p)
    before = {path: r.gets for path, r in loopback.routes.items()}

    index = collect_videos(sources(*urls), p)

    assert set(index["status"]) == {"already present"}
    assert {path: r.gets for path, r in loopback.routes.items()} == before


def test_a_changed_file_is_fetched_again(loopback, make_mp4, params):
    data = make_mp4(seed=40)
    url = loopback.add("/v.mp4", data)
    p = params()
    collect_videos(sources(url), p)
    target = Path(p.videos_dir, "v.mp4")
    target.write_bytes(data[:100])  # damaged on disk after the fact

    index = collect_videos(sources(url), p)

    assert index.loc[0, "status"] == "downloaded"
    assert target.read_bytes() == data


def test_ids_and_titles_with_path_characters_stay_inside(loopback, make_mp4, params, tmp_path):
    """The generic extractor takes a link's unquoted file name as the id: `%2E%2E%2F` is `../`."""
    long_name = "x" * 180 + "?&*|<>:"
    served = {  # the URL's path as sent -> the route (its unquoted path)
        "/%2E%2E%2F%2E%2E%2Fescape.mp4": "/../../escape.mp4",
        "/%2E%2E%5C%2E%2E%5Cwin.mp4": "/..\\..\\win.mp4",
        f"/{quote(long_name, safe='')}.mp4": f"/{long_name}.mp4",
        "/deep%2Fa%20b%2Fc%25d.mp4": "/deep/a b/c%d.mp4",
    }
    urls = []
    for seed, (sent, route) in enumerate(served.items(), start=50):
        loopback.add(route, make_mp4(seed=seed))
        urls.append(loopback.base + sent)
    loopback.add("/clip.mp4", make_mp4(seed=59))
    loopback.add(
        "/../titled.html",
        page("/clip.mp4", title="../../../etc/passwd /x"),
        content_type="text/html",
    )
    urls.append(loopback.base + "/%2E%2E%2Ftitled.html")
    p = params(videos_dir=str(tmp_path / "box" / "rm_videos"))

    index = collect_videos(sources(*urls), p)

    assert set(index["status"]) == {"downloaded"}, index[["source_url", "error"]]
    folder = Path(p.videos_dir)
    for row in index.itertuples():
        assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", row.video_id), row.video_id
        assert Path(row.path).parent == folder
    assert sorted(p.name for p in (tmp_path / "box").iterdir()) == ["rm_videos"]
    assert [p.name for p in tmp_path.iterdir() if p.name != "box"] == []
    assert all(p.is_file() for p in folder.iterdir())
    ids = list(index["video_id"])
    assert len(set(ids)) == len(ids)
    assert re.fullmatch(r"escape-[0-9a-f]{8}", ids[0]) and re.fullmatch(r"win-[0-9a-f]{8}", ids[1])
    assert len(ids[2]) == 64 and ids[2].startswith("xxxx")
    assert "../../../etc/passwd" in index.loc[4, "title"]
    for row in index.itertuples():
        assert probe_video(row.path).frames == 20


def test_filters_reject_with_reasons_and_follow_the_parameters(loopback, make_mp4, params):
    short = loopback.add("/short.mp4", make_mp4(seed=60, frames=10, fps=10))  # 1 s
    long = loopback.add("/long.mp4", make_mp4(seed=61, frames=40, fps=10))  # 4 s
    small = loopback.add("/small.mp4", make_mp4(seed=62, width=64, height=32, frames=20))
    fine = loopback.add("/fine.mp4", make_mp4(seed=63, frames=20))  # 2 s, 48 px
    p = params(min_duration_s=1.5, max_duration_s=3.0, min_height=40)

    index = collect_videos(sources(short, long, small, fine), p)

    rows = by_url(index)
    assert rows[fine].status == "downloaded"
    assert rows[short].status == rows[long].status == rows[small].status == "rejected"
    assert rows[short].error == "too short: the file is 1.0 s, collect.min_duration_s is 1.5"
    assert "too long" in rows[long].error and "max_duration_s" in rows[long].error
    assert rows[small].error == "too small: the file is 32 px high, collect.min_height is 40"
    assert sorted(Path(p.videos_dir).glob("*.mp4")) == [Path(p.videos_dir, "fine.mp4")]

    # Same filters: the rejections are remembered, nothing is fetched again.
    gets = loopback.routes["/short.mp4"].gets
    again = collect_videos(sources(short, long, small, fine), p)
    assert list(again["status"]) == ["rejected", "rejected", "rejected", "already present"]
    assert loopback.routes["/short.mp4"].gets == gets

    # Looser filters: the rejected videos are fetched after all; tighter: the fine one goes.
    looser = collect_videos(sources(short, long, small, fine), params(min_height=45))
    assert dict(zip(looser["source_url"], looser["status"], strict=True)) == {
        short: "downloaded",
        long: "downloaded",
        small: "rejected",
        fine: "already present",
    }


def test_pages_with_several_videos_expand_and_duplicates_are_skipped(loopback, make_mp4, params):
    a, b = make_mp4(seed=70), make_mp4(seed=71)
    direct = loopback.add("/a.mp4", a)
    loopback.add("/b.mp4", b)
    both = loopback.add("/both.html", page("/a.mp4", "/b.mp4"), content_type="text/html")

    index = collect_videos(sources(both, direct), params())

    assert list(index["status"]) == ["downloaded", "downloaded", "skipped"]
    assert set(index.loc[index["status"] == "downloaded", "sha256"]) == {sha(a), sha(b)}
    assert index.loc[2, "error"].startswith("the same file as video")
    assert len(list(Path(params().videos_dir).glob("*.mp4"))) == 2

    # Again: the page is asked for its list (it may have changed), the videos are not fetched.
    gets = {path: route.gets for path, route in loopback.routes.items()}
    again = collect_videos(sources(both, direct), params())
    assert list(again["status"]) == ["already present", "already present", "skipped"]
    assert loopback.routes["/both.html"].gets == gets["/both.html"] + 1
    assert loopback.routes["/b.mp4"].gets == gets["/b.mp4"]


def test_a_webm_is_rewrapped_as_mp4(loopback, params, tmp_path):
    """YouTube's other video codec, VP9 in webm, fits mp4 without re-encoding."""
    av = pytest.importorskip("av")
    if "libvpx-vp9" not in av.codecs_available:
        pytest.skip("this PyAV has no VP9 encoder")
    import numpy as np

    path = tmp_path / "clip.webm"
    with av.open(str(path), "w", format="webm") as out:
        stream = out.add_stream("libvpx-vp9", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(20):
            frame = np.full((48, 64, 3), i * 10, np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    url = loopback.add("/clip.webm", path.read_bytes(), content_type="video/webm")

    index = collect_videos(sources(url), params())

    assert index.loc[0, "status"] == "downloaded", index.loc[0, "error"]
    assert index.loc[0, "path"].endswith("/clip.mp4")
    info = probe_video(index.loc[0, "path"])
    assert (info.codec, info.width, info.height, info.frames) == ("vp9", 64, 48, 20)


def test_the_same_bytes_at_a_new_url_stay_already_present(loopback, make_mp4, params):
    """A mirror, a re-upload or a moved server: the video the archive has is never lost."""
    data = make_mp4(seed=80)
    first_url = loopback.add("/good.mp4", data)
    p = params()
    first = collect_videos(sources(first_url), p)
    assert (first.loc[0, "status"], first.loc[0, "video_id"]) == ("downloaded", "good")

    mirror = loopback.add("/mirror.mp4", data)
    second = collect_videos(sources(mirror), p)

    row = second.loc[0]
    assert (row.status, row.video_id, row.source_url) == ("already present", "good", mirror)
    assert pd.isna(row.error) and row.url == first_url and row.sha256 == sha(data)
    assert Path(row.path).read_bytes() == data
    record = json.loads(Path(p.videos_dir, f"good{SUFFIX}").read_text())
    assert record["source_urls"] == [first_url, mirror]
    assert files(Path(p.videos_dir)) == ["good.info.json", "good.mp4"]
    assert not Path(p.videos_dir + ".partial").exists()

    # The record now names both URLs: a re-run asks the server nothing, whichever is listed.
    gets = {path: route.gets for path, route in loopback.routes.items()}
    third = collect_videos(sources(mirror, first_url), p)
    assert list(third["status"]) == ["already present", "skipped"]
    assert third.loc[1, "error"] == "video good is already listed by row 1"
    assert {path: route.gets for path, route in loopback.routes.items()} == gets


def test_the_same_bytes_replace_a_video_whose_file_is_gone(loopback, make_mp4, params):
    data = make_mp4(seed=81)
    p = params()
    collect_videos(sources(loopback.add("/good.mp4", data)), p)
    Path(p.videos_dir, "good.mp4").unlink()

    index = collect_videos(sources(loopback.add("/mirror.mp4", data)), p)

    assert (index.loc[0, "status"], index.loc[0, "video_id"]) == ("downloaded", "mirror")
    assert Path(p.videos_dir, "mirror.mp4").read_bytes() == data


def test_a_present_video_the_filters_now_refuse_leaves_the_folder(loopback, make_mp4, params):
    url = loopback.add("/v.mp4", make_mp4(seed=82))
    loose = params()
    collect_videos(sources(url, loopback.add("/w.mp4", make_mp4(seed=83, height=64))), loose)
    record_path = Path(loose.videos_dir, f"v{SUFFIX}")
    before = json.loads(record_path.read_text())

    index = collect_videos(sources(url, loopback.url("/w.mp4")), params(min_height=60))

    assert list(index["status"]) == ["rejected", "already present"]
    assert index.loc[0, "error"] == "too small: the file is 48 px high, collect.min_height is 60"
    assert pd.isna(index.loc[0, "path"])
    assert not Path(loose.videos_dir, "v.mp4").exists()
    assert json.loads(record_path.read_text()) == {**before, "state": "rejected"}
