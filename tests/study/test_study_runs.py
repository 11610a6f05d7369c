"""The tiny study end to end: run JSONs, the resume after a kill, the report and the plot."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rmfer.study import StudyParams, load_world, make_world, plot_accuracy, render_report
from rmfer.study import runs as study_runs
from rmfer.study.world import labeled_subset
from tests.conf import base_parameters
from tests.study.conftest import TINY_ARMS, tiny_study


class Killed(Exception):
    """Stands for the study's process being killed in the middle of a run."""


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The tiny study killed during its last run, then run again; what each call did."""
    root = tmp_path_factory.mktemp("tiny_study")
    raw = tiny_study(root)
    params = StudyParams.from_dict(raw)
    manifest = make_world(params.world)
    world = load_world(params.world)
    ial, acl = base_parameters("ial"), base_parameters("acl")
    monkey = pytest.MonkeyPatch()
    ial_trainings: list[int] = []
    real_train_ial, real_train_acl = study_runs.train_ial, study_runs.train_acl

    def counted_train_ial(*args: Any, **kwargs: Any) -> Any:
        ial_trainings.append(1)
        return real_train_ial(*args, **kwargs)

    def killed_train_acl(*args: Any, **kwargs: Any) -> Any:
        raise Killed

    monkey.setattr(study_runs, "train_ial", counted_train_ial)
    monkey.setattr(study_runs, "train_acl", killed_train_acl)
    try:
        with pytest.raises(Killed):
            study_runs.run_study(params, world, ial, acl)
        first_ial_trainings = len(ial_trainings)
        monkey.setattr(study_runs, "train_acl", real_train_acl)
        records, trained = study_runs.run_study(params, world, ial, acl)
        again, trained_again = study_runs.run_study(params, world, ial, acl)
    finally:
        monkey.undo()
    return {
        "root": root,
        "raw": raw,
        "params": params,
        "manifest": manifest,
        "world": world,
        "first_ial_trainings": first_ial_trainings,
        "resumed_ial_trainings": len(ial_trainings) - first_ial_trainings,
        "records": records,
        "trained": trained,
        "again": again,
        "trained_again": trained_again,
    }


def test_every_run_writes_its_json_with_the_figures(study: dict[str, Any]):
    files = sorted(Path(study["params"].runs_dir).glob("*.json"))
    assert [f.stem for f in files] == sorted(f"{arm}_L3_s0" for arm in TINY_ARMS)
    for file in files:
        record = json.loads(file.read_text())
        assert record["labels_per_class"] == 3 and record["seed"] == 0
        for split in ("test", "validation"):
            figures = record[split]
            for key in ("accuracy", "mean_class_accuracy", "accuracy_truth"):
                assert 0.0 <= figures[key] <= 1.0
            assert 0.0 <= figures["mean_class_accuracy_truth"] <= 1.0
        assert -1.0 <= record["feature_spearman"] <= 1.0
        assert record["seconds"] > 0
    assert not list(Path(study["params"].runs_dir).glob(".*partial"))


def test_a_killed_study_resumes_with_the_runs_it_had_not_finished(study: dict[str, Any]):
    # ce and ial finished before the kill (in control's ACL): only control runs again, from
    # the cached IAL checkpoint (ce's and the shared one were trained once, before the kill).
    assert study["first_ial_trainings"] == 2
    assert study["trained"] == ["control_L3_s0"]
    assert study["resumed_ial_trainings"] == 0
    assert len(list(Path(study["params"].models_dir).glob("ial_L3_s0_*.pt"))) == 2
    # A finished study trains nothing and reads the same records.
    assert study["trained_again"] == []
    assert [r["run_id"] for r in study["again"]] == [r["run_id"] for r in study["records"]]


def test_a_run_json_of_other_parameters_is_run_again(study: dict[str, Any], tmp_path: Path):
    params = study["params"]
    path = Path(params.runs_dir) / "ce_L3_s0.json"
    record = json.loads(path.read_text())
    assert study_runs.finished(path, record["key"]) == record
    assert study_runs.finished(path, "another key") is None


def test_the_ial_arms_and_the_acl_arms_share_the_ial_checkpoint(study: dict[str, Any]):
    by_arm = {r["arm"]: r for r in study["records"]}
    assert by_arm["control"]["params"]["mu"] == 0.0
    assert by_arm["ce"]["params"]["lambda_att"] == 0.0
    assert by_arm["ial"]["params"]["lambda_att"] == base_parameters("ial")["lambda_att"]


def test_the_report_and_the_plot_are_written(study: dict[str, Any], tmp_path: Path):
    text = render_report(study["records"], study["params"], study["manifest"])
    (tmp_path / "study.md").write_text(text)
    plot_accuracy(study["records"], study["params"]).savefig(tmp_path / "plot.png")
    assert (tmp_path / "plot.png").stat().st_size > 1000
    assert "## Paired differences: arm minus `control`" in text
    assert "| ce | 3 | 1 |" in text
    assert "(n=1, no interval)" in text
    assert "cut at the sidecar landmarks" in text


def test_labeled_subsets_are_l_per_class_nested_and_keep_validation_and_test(
    study: dict[str, Any],
):
    benchmark = study["world"].benchmark
    small, large = labeled_subset(benchmark, 1, 5), labeled_subset(benchmark, 3, 5)
    train = small[small["split"] == "train"]
    assert train.groupby("label").size().tolist() == [1] * 7
    assert set(train.index) <= set(large[large["split"] == "train"].index)
    for split in ("validation", "test"):
        assert (small["split"] == split).sum() == (benchmark["split"] == split).sum()
    other_seed = labeled_subset(benchmark, 1, 6)
    assert set(other_seed[other_seed["split"] == "train"].index) != set(train.index)


def test_the_world_is_reused_when_its_parameters_are_unchanged(study: dict[str, Any]):
    world_json = Path(study["params"].world.dir) / "world.json"
    before = world_json.stat().st_mtime_ns
    assert make_world(study["params"].world) == study["manifest"]
    assert world_json.stat().st_mtime_ns == before
    held = study["world"].held_out
    assert set(held["video_id"]) == set(study["manifest"]["held_out_videos"])
    assert not set(held["video_id"]) & set(study["world"].face_tracks["video_id"])


def test_the_kedro_nodes_resume_the_finished_study_and_report_it(study: dict[str, Any]):
    from rmfer.pipelines.study import nodes

    raw, ial, acl = study["raw"], base_parameters("ial"), base_parameters("acl")
    manifest = nodes.make_study_world(raw)
    records = nodes.run_study_arms(manifest, raw, ial, acl)
    assert [r["run_id"] for r in records] == [r["run_id"] for r in study["records"]]
    text, figure = nodes.report_study(records, manifest, raw)
    assert text.startswith("# The method's effect: study")
    assert figure.axes[0].get_xlabel() == "labels per class (L)"


def test_worker_processes_run_the_groups_and_the_study_resumes_in_process(
    study: dict[str, Any], tmp_path: Path
):
    """workers 2: each (L, seed) group in a process of its own; the JSONs it writes are the same
    runs a one-process study then reads instead of training."""
    raw = {**study["raw"], "seeds": [0, 1], "workers": 2}
    raw.update(runs_dir=str(tmp_path / "runs"), models_dir=str(tmp_path / "models"))
    params = StudyParams.from_dict(raw)
    ial, acl = base_parameters("ial"), base_parameters("acl")
    records, trained = study_runs.run_study(params, study["world"], ial, acl)
    planned = [spec.run_id for spec in study_runs.plan_runs(params)]
    assert [r["run_id"] for r in records] == planned == trained
    assert len({r["labels_per_class"] for r in records}) == 1 and len(planned) == 2 * len(TINY_ARMS)
    assert sorted(p.stem for p in (tmp_path / "runs").glob("*.json")) == sorted(planned)
    again, trained_again = study_runs.run_study(
        StudyParams.from_dict({**raw, "workers": 1}), study["world"], ial, acl
    )
    assert trained_again == [] and again == records
