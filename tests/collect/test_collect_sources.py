"""Reading and checking the source list, before any network."""

from __future__ import annotations

import pandas as pd
import pytest

from rmfer.collect.sources import check_url, parse_sources, read_sources_csv


def test_rows_are_sorted_into_fetch_reject_and_skip():
    frame = pd.DataFrame(
        {
            "URL ": [
                "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
                "ytsearch5:reaction mashup inception",
                "",
                "   ",
                "# my searches",
                "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
                "ftp://example.org/v.mp4",
                "file:///tmp/v.mp4",
                "www.youtube.com/watch?v=abc",
                None,
            ],
            "Note": ["a", None, "b", None, None, "again", None, None, None, None],
        }
    )
    rows, problems = parse_sources(frame, allow_local_files=False, origin="x.csv")
    assert [(r.row, r.url, r.note) for r in rows] == [
        (1, "https://www.youtube.com/watch?v=dQw4w9WgXcQ", "a"),
        (2, "ytsearch5:reaction mashup inception", None),
    ]
    assert [(p.row, p.status, p.reason.split(":")[0]) for p in problems] == [
        (3, "skipped", "blank url"),
        (4, "skipped", "blank url"),
        (5, "skipped", "comment"),
        (6, "skipped", "duplicate of row 1"),
        (7, "rejected", "unsupported scheme 'ftp'"),
        (8, "rejected", "file"),
        (9, "rejected", "not a URL or search"),
        (10, "skipped", "blank url"),
    ]
    assert "collect.allow_local_files is false" in problems[5].reason


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://youtu.be/abc", True),
        ("http://127.0.0.1:8000/v.mp4", True),
        ("ytsearch:reaction mashup", True),
        ("ytsearch10:reaction mashup avengers", True),
        ("ytsearchdate5:reaction mashup", True),
        ("ytsearch3:", False),
        ("https:///nohost", False),
        ("ftp://host/x.mp4", False),
        ("javascript:alert(1)", False),
        ("C:\\videos\\x.mp4", False),
        ("/abs/path.mp4", False),
    ],
)
def test_schemes(url, allowed):
    assert (check_url(url, allow_local_files=False) is None) is allowed


def test_file_urls_need_the_parameter():
    assert check_url("file:///tmp/x.mp4", allow_local_files=True) is None
    assert "allow_local_files" in check_url("file:///tmp/x.mp4", allow_local_files=False)


def test_a_missing_url_column_is_named_with_what_was_found(tmp_path):
    path = tmp_path / "rm_sources.csv"
    path.write_text("link,note\nhttps://youtu.be/abc,x\n")
    with pytest.raises(
        ValueError, match=r"rm_sources.csv: no `url` column \(columns found: \['link', 'note'\]\)"
    ):
        parse_sources(read_sources_csv(path), False, origin=str(path))


def test_a_headerless_list_gets_a_hint(tmp_path):
    path = tmp_path / "rm_sources.csv"
    path.write_text("https://youtu.be/abc\nhttps://youtu.be/def\n")
    with pytest.raises(ValueError, match="looks like a URL, not a header"):
        parse_sources(read_sources_csv(path), False, origin=str(path))


def test_reading_a_missing_or_broken_file_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nope\.csv"):
        read_sources_csv(tmp_path / "nope.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(ValueError, match=r"empty\.csv: not a readable CSV"):
        read_sources_csv(empty)
