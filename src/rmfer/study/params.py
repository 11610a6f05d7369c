"""The study's parameters (`study:` in conf/base/parameters_study.yml), parsed and checked once.

An arm is a set of changes to the conf/base `ial` or `acl` block; every study run first applies
the study's own changes (`study.ial`, `study.acl`: size, logging), then the arm's. A `choose`
grid lists values of an arm's keys to pick on the validation split, never on test.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from rmfer.errors import ParameterError
from rmfer.params import Checker, parse

STAGES = ("ial", "acl")


@dataclass(frozen=True)
class ArmParams:
    """One arm: which stage trains it and what it changes in that stage's block."""

    stage: str  # ial: an IAL training of its own; acl: fine-tunes the shared IAL checkpoint
    changes: dict[str, Any]  # keys of the stage's block (nested blocks as nested mappings)


@dataclass(frozen=True)
class WorldParams:
    """The study world: the synth block it is drawn from and how the study cuts it."""

    dir: str  # its own folder, never the demo's
    face_size: int  # RM crops are cut at the sidecar landmarks, aligned to this many pixels
    held_out_videos: int  # videos ACL never sees: the feature correlation is measured on them
    validation_per_class: int  # labeled train images kept aside for choosing settings
    synth: dict[str, Any]  # a full `synth` block (rmfer.synth.params checks it)


@dataclass(frozen=True)
class StudyParams:
    seeds: list[int]
    labels_per_class: list[int]
    arms: list[str]  # which of `arm_settings` run, in the report's order
    control: str  # the arm every paired difference is taken against
    runs_dir: str  # one JSON per finished run
    models_dir: str  # the IAL checkpoints per (L, seed), so a resumed study does not retrain
    ial_steps: int  # IAL's optimiser steps per run whatever L: epochs = ceil(steps / per epoch)
    max_ial_epochs: int  # ... and at most this many epochs (a validation pass ends each)
    feature_faces: int  # held-out RM faces whose pairwise similarities are correlated
    metric: str  # what the plot and the paired differences compare
    workers: int  # processes running (L, seed) groups at once; 1 = in this process
    ial: dict[str, Any]  # changes to conf/base `ial` for every study run
    acl: dict[str, Any]  # changes to conf/base `acl` for every study run
    arm_settings: dict[str, ArmParams]
    choose: dict[str, dict[str, list[Any]]]  # arm -> key -> values, chosen on validation
    world: WorldParams

    @classmethod
    def from_dict(cls, params: dict[str, Any]) -> StudyParams:
        values = dict(params) if isinstance(params, dict) else params
        if isinstance(values, dict) and isinstance(values.get("arm_settings"), dict):
            values["arm_settings"] = {
                name: parse(ArmParams, block, f"study.arm_settings.{name}")
                for name, block in values["arm_settings"].items()
            }
        result = parse(cls, values, "study")
        result.check(Checker(result, "study"))
        return result

    def check(self, check: Checker) -> None:
        for key in ("seeds", "labels_per_class", "arms"):
            value = self.__getattribute__(key)
            check.require(isinstance(value, list) and len(value) > 0, key, "a non-empty list")
        check.require(
            all(isinstance(s, int) and s >= 0 for s in self.seeds), "seeds", "integers >= 0"
        )
        check.require(
            all(isinstance(n, int) and n >= 1 for n in self.labels_per_class),
            "labels_per_class",
            "integers >= 1",
        )
        known = sorted(self.arm_settings)
        check.require(set(self.arms) <= set(known), "arms", f"names among {known}")
        check.require(self.control in self.arms, "control", f"one of study.arms {self.arms}")
        for key in ("runs_dir", "models_dir", "world.dir"):
            check.text(key)
        for key in ("ial_steps", "max_ial_epochs", "feature_faces", "world.face_size", "workers"):
            check.integer(key, 1 if key != "feature_faces" else 2)
        check.integer("world.held_out_videos", 1)
        check.integer("world.validation_per_class", 1)
        check.choice("metric", ("mean_class_accuracy", "accuracy"))
        for name, arm in self.arm_settings.items():
            if arm.stage not in STAGES or not isinstance(arm.changes, dict):
                raise ParameterError(
                    f"parameter study.arm_settings.{name} = {arm!r} is invalid; allowed: "
                    f"stage one of {STAGES}, changes a mapping"
                )
        for name, grid in self.choose.items():
            ok = name in self.arm_settings and isinstance(grid, dict)
            ok = ok and all(isinstance(v, list) and v for v in grid.values())
            check.require(ok, "choose", "arm name -> {key: [values, ...]} for known arms")


def choices(params: StudyParams, arm: str) -> list[dict[str, Any]]:
    """Every point of an arm's `choose` grid ({} when it has none), in a stable order."""
    grid = params.choose.get(arm) or {}
    keys = sorted(grid)
    return [
        dict(zip(keys, values, strict=True))
        for values in itertools.product(*(grid[k] for k in keys))
    ]


def merge(block: dict[str, Any], changes: dict[str, Any], section: str) -> dict[str, Any]:
    """`block` with `changes` applied, nested mappings merged; a key the block lacks is an error
    that names it (a typo in an arm would otherwise silently train the base setting)."""
    result = dict(block)
    for key, value in changes.items():
        if key not in block:
            raise ParameterError(
                f"parameter {section}.{key} changes nothing: the block has no key {key!r}"
            )
        if isinstance(value, dict) and isinstance(block[key], dict):
            value = merge(block[key], value, f"{section}.{key}")
        result[key] = value
    return result
