"""The facetrack parameters predict runs with: the project's own file, so that faces are found,
tracked, aligned and checked exactly as the crops the model was trained on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from rmfer.errors import ParameterError
from rmfer.faces.params import FacetrackParams

UNUSED_FACES_DIR = "(predict writes no shards)"
# The project's own file, where `rmfer predict` runs outside the project folder.
PROJECT_PARAMS = Path(__file__).resolve().parents[3] / "conf/base/parameters_facetrack.yml"


class ParamsError(ParameterError):
    """The parameters file is missing or wrong; the message names it."""


def _merged(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """`override` over `base`, block by block, as Kedro's soft merge of parameters does."""
    out = dict(base)
    for key, value in override.items():
        both = isinstance(value, dict) and isinstance(base.get(key), dict)
        out[key] = _merged(base[key], value) if both else value
    return out


def read_facetrack_params(path: str | Path, default: bool = False) -> FacetrackParams:
    """`facetrack:` of a parameters YAML file. With `default`, an absent `path` falls back to
    the project's conf/base file (predict run outside the project folder). A partial file, such
    as conf/paper's, is read over conf/base's block, as Kedro merges the environments."""
    path = Path(path)
    if not path.is_file() and default and PROJECT_PARAMS.is_file():
        path = PROJECT_PARAMS
    if not path.is_file():
        hint = "; pass --params with a file that has a `facetrack:` block" if default else ""
        raise ParamsError(f"no parameters file at {path}{hint}")
    try:
        values = (yaml.safe_load(path.read_text()) or {}).get("facetrack")
    except (yaml.YAMLError, AttributeError) as exc:
        raise ParamsError(f"{path}: not a YAML mapping ({exc})") from exc
    if not isinstance(values, dict):
        raise ParamsError(f"{path} has no `facetrack:` section")
    if PROJECT_PARAMS.is_file() and path.resolve() != PROJECT_PARAMS:
        values = _merged(yaml.safe_load(PROJECT_PARAMS.read_text())["facetrack"], values)
    try:
        return FacetrackParams.from_dict({**values, "faces_dir": UNUSED_FACES_DIR})
    except (ValueError, TypeError) as exc:
        raise ParamsError(f"{path}: {exc}") from exc
