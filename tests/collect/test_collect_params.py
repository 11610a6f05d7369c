"""Parameters: typos and nonsense fail before any download; the options follow them."""

from __future__ import annotations

from pathlib import Path

import pytest

from rmfer.collect import CollectParams
from rmfer.collect.download import ydl_options


def test_unknown_keys_and_bad_values_are_named():
    with pytest.raises(ValueError, match=r"unknown key.*max_hieght"):
        CollectParams.from_dict({"videos_dir": "v", "max_hieght": 480})
    with pytest.raises(ValueError, match="videos_dir"):
        CollectParams.from_dict({})
    with pytest.raises(ValueError, match="max_duration_s"):
        CollectParams.from_dict({"videos_dir": "v", "min_duration_s": 10, "max_duration_s": 5})
    with pytest.raises(ValueError, match="rate_limit"):
        CollectParams.from_dict({"videos_dir": "v", "rate_limit": "fast"})


def test_options_follow_the_parameters(tmp_path: Path):
    p = CollectParams.from_dict(
        {
            "videos_dir": "v",
            "max_height": 480,
            "rate_limit": "2M",
            "retries": 4,
            "sleep_s": 1.5,
            "sleep_max_s": 3,
            "backoff_s": 1,
            "backoff_max_s": 5,
        }
    )
    options = ydl_options(p, tmp_path)
    assert "[height<=?480]" in options["format"] and "avc1" in options["format"]
    assert options["ratelimit"] == 2 * 1024 * 1024
    assert options["retries"] == 4
    assert (options["sleep_interval"], options["max_sleep_interval"]) == (1.5, 3)
    assert options["enable_file_urls"] is False
    assert [options["retry_sleep_functions"]["http"](n) for n in (1, 2, 3, 4)] == [1, 2, 4, 5]
    assert options["paths"]["home"] == str(tmp_path)
    assert "title" not in options["outtmpl"]["default"]
    own = CollectParams.from_dict({"videos_dir": "v", "format": "best"})
    assert ydl_options(own, tmp_path)["format"] == "best"
