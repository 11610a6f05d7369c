"""conf/: every environment's parameters parse, conf/paper holds only what differs from conf/base
(Kedro merges parameters softly), and the paper's outputs never share a path with the demo's."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from kedro.config import OmegaConfigLoader

from rmfer.collect.params import CollectParams
from rmfer.data.check import CheckParams
from rmfer.errors import ParameterError
from rmfer.faces.params import FacetrackParams
from rmfer.reporting.params import EvaluateParams
from rmfer.settings import CONFIG_LOADER_ARGS
from rmfer.synth.params import SynthParams
from rmfer.training.acl.params import AclParams
from rmfer.training.ial.params import IalParams
from rmfer.training.ial.runs import RunParams
from tests.conftest import PROJECT_ROOT

CONF = PROJECT_ROOT / "conf"
PARSERS = {
    "ial": IalParams.from_dict,
    "ial_run": RunParams.from_dict,
    "baseline_run": RunParams.from_dict,
    "benchmark_check": CheckParams.from_dict,
    "acl": AclParams.from_dict,
    "facetrack": FacetrackParams.from_dict,
    "collect": CollectParams.from_dict,
    "evaluate": EvaluateParams.from_dict,
    "synth": SynthParams.from_dict,
}


@cache
def _load(env: str) -> dict[str, Any]:
    """The environment's parameters and catalog, and each folder's parameters alone. All read at
    once: Kedro's `globals:` resolver belongs to the loader made last."""
    loader = OmegaConfigLoader(conf_source=str(CONF), env=env, **CONFIG_LOADER_ARGS)
    patterns = loader.config_patterns["parameters"]
    return {
        "parameters": loader["parameters"],
        "catalog": loader["catalog"],
        **{
            folder: loader.load_and_merge_dir_config(
                str(CONF / folder), patterns, "parameters", set()
            )
            for folder in {"base", env}
        },
    }


def _raw_value(dotted: str) -> Any:
    """A conf/paper parameter as written, before interpolation."""
    block, *keys = dotted.split(".")
    for source in sorted((CONF / "paper").glob("parameters*.yml")):
        tree = yaml.safe_load(source.read_text())
        if block in tree:
            value = tree[block]
            for key in keys:
                value = value[key]
            return value
    raise KeyError(dotted)


def _merged(base: Any, changes: Any) -> Any:
    """base with changes laid over it key by key: what a soft merge should give."""
    if not (isinstance(base, dict) and isinstance(changes, dict)):
        return changes
    return {key: _merged(base.get(key), changes.get(key, base.get(key))) for key in base | changes}


def _leaves(tree: dict[str, Any], prefix: str = "") -> set[str]:
    return set().union(
        *(
            _leaves(value, f"{prefix}{key}.") if isinstance(value, dict) else {prefix + key}
            for key, value in tree.items()
        )
    )


@pytest.fixture()
def paper() -> dict[str, Any]:
    return _load("paper")


def test_paper_parameters_are_base_with_the_papers_changes(paper):
    base, changes = paper["base"], paper["paper"]
    assert paper["parameters"] == _merged(base, changes)
    assert set(changes) <= set(base), "conf/paper names a block conf/base lacks"
    for block, tree in changes.items():
        if block == "synth":
            continue  # the demo generator: switched off, not changed
        unknown = _leaves(tree) - _leaves(base[block])
        assert not unknown, f"conf/paper sets keys conf/base lacks: {unknown}"


def test_paper_files_hold_only_what_differs_from_base(paper):
    """A key repeated with base's value would hide a later change of conf/base."""
    base, changes = paper["base"], paper["paper"]

    def same(base_tree: dict, tree: dict, prefix: str) -> list[str]:
        found = []
        for key, value in tree.items():
            if isinstance(value, dict) and isinstance(base_tree.get(key), dict):
                found += same(base_tree[key], value, f"{prefix}{key}.")
            elif key in base_tree and base_tree[key] == value:
                found.append(prefix + key)
        return found

    repeated = [k for block, tree in changes.items() for k in same(base[block], tree, block + ".")]
    linked = {  # a key that follows a globals choice (${globals:...}) may equal base's today
        key for key in repeated if "${globals:" in str(_raw_value(key))
    }
    assert not set(repeated) - linked, f"conf/paper repeats base's values: {repeated}"


@pytest.mark.parametrize("env", ["base", "paper"])
def test_every_block_parses_with_its_stage_parser(env):
    params = _load(env)["parameters"]
    assert set(PARSERS) <= set(params)
    for block, parse in PARSERS.items():
        if env == "paper" and block == "synth":
            with pytest.raises(ParameterError, match=r"synth\.disabled"):
                parse(params[block])  # the paper environment never generates a demo world
            continue
        parse(params[block])


def test_the_paper_trains_as_the_method_says(paper):
    ial = IalParams.from_dict(paper["parameters"]["ial"])
    assert (ial.backbone, ial.image_size, ial.optimiser, ial.sam_base) == (
        "tf_efficientnet_b2",
        260,
        "sam",
        "adam",
    )
    assert (ial.lr, ial.epochs, ial.batch_size, ial.tau) == (6e-6, 30, 32, 1.0)
    assert AclParams.from_dict(paper["parameters"]["acl"]).mining_quality.truth_dir is None
    assert paper["parameters"]["evaluate"]["facetrack_quality"] is None  # the demo's is not ours


def _output_paths(config: dict[str, Any]) -> dict[str, str]:
    """Dataset name -> path, for every catalog entry the stages write (not the inputs)."""
    inputs = {"rm_sources", "benchmark"}
    return {
        name: entry.get("filepath") or entry.get("path")
        for name, entry in config["catalog"].items()
        if isinstance(entry, dict) and (entry.get("filepath") or entry.get("path"))
        if name not in inputs and not name.startswith("demo_") and not name.startswith("study_")
    }


def test_the_papers_outputs_live_apart_from_the_demos(paper):
    demo = _output_paths(_load("base"))
    outputs = _output_paths(paper)
    assert set(outputs) == set(demo)
    for name, path in outputs.items():
        assert path.startswith("data/paper/"), name
        assert not path.startswith(demo[name]) and not demo[name].startswith(path), name
    parameters = paper["parameters"]
    for folder in (
        parameters["collect"]["videos_dir"],
        parameters["facetrack"]["faces_dir"],
        parameters["ial"]["live_dir"],
        parameters["acl"]["live_dir"],
        parameters["ial"]["state_dir"],
        parameters["acl"]["state_dir"],
    ):
        assert folder.startswith("data/paper/"), folder


def test_the_benchmark_choice_is_a_tracked_parameter(paper):
    """`dvc exp run -S conf/paper/globals.yml:benchmark.format=...` changes what Kedro reads."""
    choice = yaml.safe_load((CONF / "paper/globals.yml").read_text())["benchmark"]
    assert set(choice) == {"format", "path", "num_classes", "soft_labels", "label_order"}
    benchmark = paper["catalog"]["benchmark"]
    assert (benchmark["format"], benchmark["path"]) == (choice["format"], choice["path"])
    options = {k: benchmark["options"][k] for k in ("num_classes", "soft_labels", "label_order")}
    assert options == {k: choice[k] for k in options}
    assert paper["parameters"]["ial"]["soft_labels"] == choice["soft_labels"]
    assert "runtime_params" not in (CONF / "paper/catalog_ial.yml").read_text()


def test_a_changed_globals_key_reaches_the_catalog(tmp_path: Path):
    conf = tmp_path / "conf"
    for env in ("base", "paper"):
        (conf / env).mkdir(parents=True)
        for source in (CONF / env).glob("*.yml"):
            (conf / env / source.name).write_text(source.read_text())
    globals_file = conf / "paper/globals.yml"
    values = yaml.safe_load(globals_file.read_text())
    values["benchmark"].update(format="affectnet", path="data/01_raw/affectnet", num_classes=8)
    globals_file.write_text(yaml.safe_dump(values))
    loader = OmegaConfigLoader(conf_source=str(conf), env="paper", **CONFIG_LOADER_ARGS)
    benchmark = loader["catalog"]["benchmark"]
    assert (benchmark["format"], benchmark["path"]) == ("affectnet", "data/01_raw/affectnet")
    assert benchmark["options"]["num_classes"] == 8
