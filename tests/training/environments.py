"""A training block as an environment's run sees it: conf/base merged with the environment's
own keys (Kedro's soft merge, `rmfer.settings.CONFIG_LOADER_ARGS`), globals resolved."""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from kedro.config import OmegaConfigLoader

from rmfer.settings import CONFIG_LOADER_ARGS
from tests.conftest import PROJECT_ROOT


@cache
def _parameters(env: str) -> dict[str, Any]:
    loader = OmegaConfigLoader(
        conf_source=str(PROJECT_ROOT / "conf"), env=env, **CONFIG_LOADER_ARGS
    )
    return dict(loader["parameters"])


def environment_parameters(env: str, section: str) -> dict[str, Any]:
    """A fresh copy of `section:` in environment `env` (base, paper)."""
    return copy.deepcopy(_parameters(env)[section])
