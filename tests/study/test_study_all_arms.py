"""Every arm of conf/base's study, tiny: each trains and is measured (minutes: `-m study`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rmfer.study import StudyParams, load_world, make_world, render_report, run_study
from tests.conf import base_parameters
from tests.study.conftest import tiny_study


@pytest.mark.study
def test_every_arm_of_the_study_runs_on_the_tiny_world(tmp_path: Path):
    arms = base_parameters("study")["arms"]
    params = StudyParams.from_dict(tiny_study(tmp_path, arms=arms, seeds=[0, 1]))
    manifest = make_world(params.world)
    records, trained = run_study(
        params, load_world(params.world), base_parameters("ial"), base_parameters("acl")
    )
    assert len(trained) == len(arms) * 2
    by_arm = {r["arm"]: r for r in records}
    assert set(by_arm) == set(arms)
    for arm in ("acl_prior", "acl_time", "acl_oracle"):
        assert by_arm[arm]["params"]["pairing"] == arm.removeprefix("acl_")
    assert by_arm["simclr"]["params"]["objective"] == "simclr"
    assert by_arm["acl_prior_anchors"]["params"]["candidate_gradient"] is False
    assert by_arm["acl_prior"]["params"]["candidate_gradient"] is True
    text = render_report(records, params, manifest)
    for arm in arms:
        assert f"| {arm} | 3 |" in text
    assert "[" in text  # two seeds: paired intervals
    for file in Path(params.runs_dir).glob("*.json"):
        assert json.loads(file.read_text())["seed"] in (0, 1)
