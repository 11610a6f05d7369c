"""The collect stage's configuration: both environments parse, and the folder has one name."""

from __future__ import annotations

import pytest
import yaml
from kedro.config import OmegaConfigLoader
from tests.conftest import PROJECT_ROOT

from rmfer.collect import CollectParams


@pytest.fixture(params=["local", "paper"])
def conf(request) -> tuple[str, OmegaConfigLoader]:
    loader = OmegaConfigLoader(
        str(PROJECT_ROOT / "conf"), base_env="base", default_run_env=request.param
    )
    return request.param, loader


def test_parameters_parse_and_the_folder_is_the_catalogs(conf):
    env, loader = conf
    params = CollectParams.from_dict(loader["parameters"]["collect"])
    catalog = loader["catalog"]
    assert catalog["rm_videos"]["path"] == params.videos_dir == "data/01_raw/rm_videos"
    # The node saves {} to rm_videos: with overwrite on, Kedro would empty the folder.
    assert catalog["rm_videos"].get("overwrite", False) is False
    assert catalog["rm_videos"]["filename_suffix"] == ".mp4"
    assert params.allow_local_files is (env == "local")  # the demo reads file://, paper does not


def test_the_videos_survive_a_dvc_rerun():
    stage = yaml.safe_load((PROJECT_ROOT / "dvc.yaml").read_text())["stages"]["collect"]
    outs = {next(iter(o)): o[next(iter(o))] for o in stage["outs"] if isinstance(o, dict)}
    assert outs["data/01_raw/rm_videos"]["persist"] is True
