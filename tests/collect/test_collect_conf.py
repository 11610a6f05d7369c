"""The collect stage's configuration: both environments parse, and the folder has one name."""

from __future__ import annotations

import pytest
import yaml
from kedro.config import OmegaConfigLoader
from tests.conftest import PROJECT_ROOT

from rmfer.collect import CollectParams
from rmfer.settings import CONFIG_LOADER_ARGS


@pytest.fixture(params=["local", "paper"])
def conf(request) -> tuple[str, OmegaConfigLoader]:
    loader = OmegaConfigLoader(str(PROJECT_ROOT / "conf"), env=request.param, **CONFIG_LOADER_ARGS)
    return request.param, loader


def test_parameters_parse_and_the_folder_is_the_catalogs(conf):
    env, loader = conf
    params = CollectParams.from_dict(loader["parameters"]["collect"])
    catalog = loader["catalog"]
    folder = "data/01_raw/rm_videos" if env == "local" else "data/paper/01_raw/rm_videos"
    assert catalog["rm_videos"]["path"] == params.videos_dir == folder  # paper: apart from demo
    # The node saves {} to rm_videos: with overwrite on, Kedro would empty the folder.
    assert catalog["rm_videos"].get("overwrite", False) is False
    assert catalog["rm_videos"]["filename_suffix"] == ".mp4"
    assert params.allow_local_files is (env == "local")  # the demo reads file://, paper does not


def test_the_videos_survive_a_dvc_rerun():
    stage = yaml.safe_load((PROJECT_ROOT / "dvc.yaml").read_text())["stages"]["collect"]
    outs = {next(iter(o)): o[next(iter(o))] for o in stage["outs"] if isinstance(o, dict)}
    assert outs["data/01_raw/rm_videos"]["persist"] is True
