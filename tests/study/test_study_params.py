"""conf/base's study: it parses, its arms change keys that exist, its world is big enough."""

from __future__ import annotations

import pytest

from rmfer.errors import ParameterError
from rmfer.study import StudyParams, plan_runs
from rmfer.study.params import choices, merge
from rmfer.synth.params import SynthParams
from rmfer.synth.world import plan_world
from tests.conf import base_parameters

ISSUE_ARMS = {"ce", "ial", "control", "acl_prior", "acl_time", "acl_oracle", "simclr"}
SPEED_ARMS = {"acl_prior_anchors"}  # acl.candidate_gradient: false, the step's speed lever


def test_conf_base_study_parses_with_every_arm_and_at_least_three_seeds():
    params = StudyParams.from_dict(base_parameters("study"))
    assert set(params.arms) == ISSUE_ARMS | SPEED_ARMS
    assert params.control == "control"
    assert len(params.seeds) >= 3
    assert sorted(params.labels_per_class) == [10, 30, 300]


def test_every_arm_changes_keys_of_the_conf_base_blocks():
    params = StudyParams.from_dict(base_parameters("study"))
    blocks = {"ial": base_parameters("ial"), "acl": base_parameters("acl")}
    for stage, changes in (("ial", params.ial), ("acl", params.acl)):
        merge(blocks[stage], changes, f"study.{stage}")
    for name, arm in params.arm_settings.items():
        merge(blocks[arm.stage], arm.changes, f"study.arm_settings.{name}")  # raises on a typo
    assert params.arm_settings["control"].changes == {"mu": 0.0}
    assert params.arm_settings["ce"].changes == {"lambda_att": 0.0}


def test_a_change_to_a_key_the_block_lacks_is_an_error_naming_it():
    with pytest.raises(ParameterError, match=r"study.arm_settings.x.lr_typo"):
        merge(base_parameters("acl"), {"lr_typo": 1.0}, "study.arm_settings.x")


def test_the_world_has_150_reactors_40k_faces_and_200_test_images_per_class():
    study = base_parameters("study")
    synth = SynthParams.from_dict(study["world"]["synth"])
    plan = plan_world(synth)
    reactors = sum(len(video.reactors) for video in plan.videos)
    frames = synth.videos.duration_s * synth.videos.fps
    faces = sum(len(video.reactors) * frames for video in plan.videos)
    assert reactors >= 150
    assert faces >= 40_000
    assert synth.benchmark.per_class_test >= 200
    pool = synth.benchmark.per_class_train - study["world"]["validation_per_class"]
    assert pool >= max(study["labels_per_class"])
    assert study["world"]["dir"] != base_parameters("synth")["videos_dir"].rsplit("/", 1)[0]


def test_runs_are_planned_per_l_and_seed_with_every_grid_point():
    params = StudyParams.from_dict(
        base_parameters("study", choose={"acl_prior": {"rho": [0.1, 0.4]}})
    )
    assert choices(params, "acl_prior") == [{"rho": 0.1}, {"rho": 0.4}]
    runs = plan_runs(params)
    per_cell = len(params.arms) + 1
    assert len(runs) == per_cell * len(params.seeds) * len(params.labels_per_class)
    first = runs[:per_cell]
    assert {(r.labels, r.seed) for r in first} == {(10, 0)}
    assert "acl_prior_rho=0.1_L10_s0" in {r.run_id for r in first}


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"control": "nobody"}, "study.control"),
        ({"arms": ["ce", "unknown"]}, "study.arms"),
        ({"seeds": []}, "study.seeds"),
        ({"metric": "loss"}, "study.metric"),
    ],
)
def test_bad_study_parameters_name_their_key(change, key):
    with pytest.raises(ParameterError, match=key):
        StudyParams.from_dict(base_parameters("study", **change))


def test_the_study_pipeline_is_registered_with_its_catalog_entries():
    from kedro.config import OmegaConfigLoader

    from rmfer.pipeline_registry import register_pipelines
    from tests.conf import PROJECT_ROOT

    pipeline = register_pipelines()["study"]
    catalog = OmegaConfigLoader(
        str(PROJECT_ROOT / "conf"), base_env="base", default_run_env="base"
    )["catalog"]
    for dataset in pipeline.datasets():
        assert dataset.startswith("params:") or dataset in catalog, dataset
    assert "study_world" not in register_pipelines()["__default__"].datasets()
