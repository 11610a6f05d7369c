"""The facetrack parameters predict runs with: the project's own file, so that faces are found,
tracked, aligned and checked exactly as the crops the model was trained on."""

from __future__ import annotations

from pathlib import Path

import yaml

from rmfer.faces.params import FacetrackParams

UNUSED_FACES_DIR = "(predict writes no shards)"


class ParamsError(ValueError):
    """The parameters file is missing or wrong; the message names it."""


def read_facetrack_params(path: str | Path, default: bool = False) -> FacetrackParams:
    """`facetrack:` of a parameters YAML file; the built-in defaults when `default` names a
    file that is absent (predict run outside the project folder)."""
    path = Path(path)
    if not path.is_file():
        if default:
            return FacetrackParams.from_dict({"faces_dir": UNUSED_FACES_DIR})
        raise ParamsError(f"no parameters file at {path}")
    try:
        values = (yaml.safe_load(path.read_text()) or {}).get("facetrack")
    except (yaml.YAMLError, AttributeError) as exc:
        raise ParamsError(f"{path}: not a YAML mapping ({exc})") from exc
    if not isinstance(values, dict):
        raise ParamsError(f"{path} has no `facetrack:` section")
    try:
        return FacetrackParams.from_dict({**values, "faces_dir": UNUSED_FACES_DIR})
    except (ValueError, TypeError) as exc:
        raise ParamsError(f"{path}: {exc}") from exc
