"""Every error class the project defines derives from RmferError, so callers can catch them all."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import rmfer
from rmfer.errors import RmferError


def test_every_project_exception_derives_from_rmfer_error() -> None:
    found = []
    for module_info in pkgutil.walk_packages(rmfer.__path__, "rmfer."):
        if module_info.name.startswith("rmfer.pipelines") or module_info.name in (
            "rmfer.__main__",
            "rmfer.settings",
            "rmfer.pipeline_registry",
        ):
            continue
        module = importlib.import_module(module_info.name)
        for name, value in vars(module).items():
            if (
                inspect.isclass(value)
                and issubclass(value, BaseException)
                and value.__module__ == module.__name__
            ):
                found.append(value)
                assert issubclass(value, RmferError), f"{module.__name__}.{name}"
    assert len(found) >= 10  # the walk really reached the packages
