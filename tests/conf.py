"""The project's own conf/base parameters, for tests: code has no defaults, conf/base has them."""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

from kedro.config import OmegaConfigLoader

from rmfer.settings import CONFIG_LOADER_ARGS

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@cache
def _base_parameters() -> dict[str, Any]:
    loader = OmegaConfigLoader(
        conf_source=str(PROJECT_ROOT / "conf"), base_env="base", default_run_env="base"
    )
    return dict(loader["parameters"])


def base_parameters(section: str, **changes: Any) -> dict[str, Any]:
    """A fresh copy of `section:` from conf/base (globals resolved), with top-level changes."""
    params = copy.deepcopy(_base_parameters()[section])
    params.update(changes)
    return params


@cache
def _environment_parameters(env: str) -> dict[str, Any]:
    loader = OmegaConfigLoader(
        conf_source=str(PROJECT_ROOT / "conf"), env=env, **CONFIG_LOADER_ARGS
    )
    return dict(loader["parameters"])


def environment_parameters(env: str, section: str) -> dict[str, Any]:
    """A fresh copy of `section:` as environment `env` (paper) sees it: conf/base merged with
    the environment's own keys (Kedro's soft merge, `rmfer.settings`), globals resolved."""
    return copy.deepcopy(_environment_parameters(env)[section])
