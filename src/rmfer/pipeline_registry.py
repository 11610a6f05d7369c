"""The stage pipelines, in the method's order, and the demo that prepends the synthetic world."""

from __future__ import annotations

import importlib

from kedro.pipeline import Pipeline

STAGES = ("collect", "facetrack", "ial", "acl", "evaluate")


def register_pipelines() -> dict[str, Pipeline]:
    """`__default__` is the method on whatever data the environment names; `demo` adds synth
    and the measurements that need the demo's ground truth.

    Built explicitly rather than with `find_pipelines`: Kedro 1.7 loads only the pipelines named
    on the command line, and `demo` and `__default__` are made of the others.
    """
    pipelines = {
        name: importlib.import_module(f"rmfer.pipelines.{name}").create_pipeline()
        for name in ("synth", *STAGES)
    }
    # Measured against the demo's ground-truth sidecars, so only the demo runs it.
    quality = importlib.import_module("rmfer.pipelines.facetrack").create_quality_pipeline()
    pipelines["facetrack_quality"] = quality
    stages = sum((pipelines[name] for name in STAGES), Pipeline([]))
    pipelines["__default__"] = stages
    pipelines["demo"] = pipelines["synth"] + stages + quality
    # The method's effect, measured in a world of its own (`make study`); in neither of the above.
    pipelines["study"] = importlib.import_module("rmfer.pipelines.study").create_pipeline()
    return pipelines
