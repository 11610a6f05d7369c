"""Parameters: typos and nonsense fail before any download; the options follow them."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.conf import base_parameters

from rmfer.collect import CollectParams
from rmfer.collect.download import ydl_options
from rmfer.errors import ParameterError


def test_unknown_missing_and_bad_values_are_named():
    with pytest.raises(ParameterError, match=r"unknown parameters.*collect\.max_hieght"):
        CollectParams.from_dict(base_parameters("collect", max_hieght=480))
    params = base_parameters("collect")
    del params["videos_dir"]
    with pytest.raises(ParameterError, match="videos_dir"):
        CollectParams.from_dict(params)
    for change in [
        {"min_duration_s": 10, "max_duration_s": 5},
        {"rate_limit": "fast"},
        {"max_height": 0},
        {"retries": -1},
        {"max_per_source": 0},
        {"sleep_s": 3, "sleep_max_s": 2},
        {"progress": "yes"},
    ]:
        key = list(change)[-1]
        with pytest.raises(ValueError, match=rf"collect\.{key}"):
            CollectParams.from_dict(base_parameters("collect", **change))


def test_options_follow_the_parameters(tmp_path: Path):
    p = CollectParams.from_dict(
        base_parameters(
            "collect",
            allow_local_files=False,
            max_height=480,
            rate_limit="2M",
            retries=4,
            sleep_s=1.5,
            sleep_max_s=3,
            backoff_s=1,
            backoff_max_s=5,
        )
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
    own = CollectParams.from_dict(base_parameters("collect", format="best"))
    assert ydl_options(own, tmp_path)["format"] == "best"
