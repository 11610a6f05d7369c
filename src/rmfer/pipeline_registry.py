"""The stage pipelines, in the method's order, and the demo that prepends the synthetic world."""

from __future__ import annotations

from kedro.framework.project import find_pipelines
from kedro.pipeline import Pipeline

STAGES = ("collect", "facetrack", "ial", "acl", "evaluate")


def register_pipelines() -> dict[str, Pipeline]:
    """`__default__` is the method on whatever data the environment names; `demo` adds synth."""
    pipelines = find_pipelines(raise_errors=True)
    stages = sum((pipelines[name] for name in STAGES if name in pipelines), Pipeline([]))
    pipelines["__default__"] = stages
    pipelines["demo"] = pipelines["synth"] + stages
    return pipelines
