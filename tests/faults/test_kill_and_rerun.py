"""Each stage killed with SIGKILL at named points, then run again: the second run finishes and
its outputs equal an uninterrupted run's, and nothing the killed run left is half a file.

`make faults` (`pytest -m faults`) runs every case; `make test` runs one (collect, its video
in place before its record is written), a minute of work.
"""

from __future__ import annotations

import re
import shutil

import pytest

from tests.faults.conftest import (
    KILLED,
    MISSING,
    OUTPUTS,
    assert_complete_or_absent,
    outputs_digest,
    partial_files,
)

# (stage, kill point, when it lands): replace_atomically is rmfer.files' write-then-rename,
# killed after the write and before the rename; dataset_save is the same moment in a catalog
# dataset's save (rmfer.kedro_datasets.atomic).
CASES = [
    ("synth", "replace_atomically:1", "early: the first benchmark image written, not renamed"),
    ("synth", "replace_atomically:36", "middle: half the benchmark images in place"),
    ("synth", "replace_atomically:73", "late: the last video written, not renamed"),
    ("collect", "collect_video_placed:1", "early: the first video in place, no record yet"),
    ("collect", "replace_atomically:1", "early: the first video's record written, not renamed"),
    ("collect", "replace_atomically:2", "middle: one video done, the second's record unrenamed"),
    ("collect", "dataset_save:1", "late: rm_video_index.parquet written, not renamed"),
    ("facetrack", "shard_append:1", "early: the first face of the first shard"),
    ("facetrack", "replace_atomically:3", "middle: the first video's record written, not renamed"),
    ("facetrack", "shard_append:100", "middle: one video done, the second's shard half written"),
    ("facetrack", "replace_atomically:6", "late: the last video's record written, not renamed"),
    ("facetrack", "dataset_save:1", "late: face_tracks.parquet written, not renamed"),
    ("ial", "training_state_saved:1", "early: the first run's first step of two, state saved"),
    ("ial", "epoch_end:1", "early: the first run's first epoch done"),
    ("ial", "epoch_end:3", "middle: the first run (baseline) done, the second (IAL) one epoch in"),
    ("ial", "replace_atomically:1", "middle: the first model file written, not renamed"),
    ("acl", "epoch_end:1", "early: the first ACL epoch done"),
    ("acl", "training_state_saved:3", "middle: the first run (control)'s epoch 2, one step in"),
    ("acl", "training_state_saved:5", "middle: the second run (acl) one step in, RM draws too"),
    ("acl", "replace_atomically:1", "late: the ACL model written, not renamed"),
    ("evaluate", "evaluate_model:1", "early: no model scored yet"),
    ("evaluate", "evaluate_model:3", "middle: two of the three models scored"),
    ("evaluate", "write_report:1", "late: figures and plot data written, report.md not"),
]
# rmfer predict over the two demo videos: per video a CSV, a Parquet and a timeline, then the
# summary; each of them through replace_atomically.
PREDICT_CASES = [
    ("replace_atomically:1", "early: the first video's CSV written, not renamed"),
    ("replace_atomically:4", "middle: one video done, the second's CSV written"),
    ("replace_atomically:7", "late: summary.csv written, not renamed"),
]
IN_DEFAULT_RUN = ("collect", "collect_video_placed:1")
# Kills after a training state was saved (rmfer.training.state): the re-run continues that
# training run from it, where the kill was (mid-epoch for training_state_saved: two steps per
# epoch, a state after each step), rather than from scratch.
RESUMED = {
    ("ial", "training_state_saved:1"): ("1", "1"),
    ("ial", "epoch_end:1"): ("2", "0"),
    ("ial", "epoch_end:3"): ("2", "0"),
    ("acl", "epoch_end:1"): ("2", "0"),
    ("acl", "training_state_saved:3"): ("2", "1"),
    ("acl", "training_state_saved:5"): ("1", "1"),
}
RESUMING = re.compile(r"(\w+): resuming from the training state \S+ at epoch (\d+), step (\d+)")
# The temporary a kill point must leave: the table kedro-datasets would have left half written.
LEFT_BEHIND = {
    ("collect", "dataset_save:1"): "data/02_intermediate/.rm_video_index.parquet.partial",
    ("facetrack", "dataset_save:1"): "data/03_primary/.face_tracks.parquet.partial",
}


def _summary(output: str) -> str:
    """The stage's own account of what the re-run did (the lines that count videos)."""
    lines = [
        line
        for line in output.splitlines()
        if re.search(
            r"(collect|facetrack): \d+|Demo (videos|benchmark)|epoch \d+/|rmfer predict", line
        )
    ]
    return " | ".join(re.sub(r"\s+", " ", line).strip()[-160:] for line in lines[-2:])


def kill_then_rerun(bench, stage: str, fault: str) -> None:
    expected = bench.expected(stage)
    bench.before(stage)

    killed = bench.run(stage, fault)

    assert killed.returncode == KILLED, f"{fault} never reached:\n{killed.stderr[-4000:]}"
    assert_complete_or_absent(bench.root, OUTPUTS[stage])
    left = {k: v for k, v in outputs_digest(bench.root, OUTPUTS[stage]).items() if v != MISSING}
    wrong = {name for name, digest in left.items() if expected.get(name) != digest}
    assert not wrong, f"the killed run left files that differ from a whole run's: {wrong}"
    leftovers = partial_files(bench.root)
    if (stage, fault) in LEFT_BEHIND:
        assert LEFT_BEHIND[stage, fault] in leftovers, f"the kill landed elsewhere: {leftovers}"

    rerun = bench.run(stage)

    assert rerun.returncode == 0, rerun.stdout[-4000:] + rerun.stderr[-4000:]
    assert bench.result(stage) == expected
    assert partial_files(bench.root) == [], "a temporary outlived the re-run"
    resumed = RESUMING.search(rerun.stdout + rerun.stderr)
    where = (resumed[2], resumed[3]) if resumed else None
    assert where == RESUMED.get((stage, fault)), f"resumed at (epoch, step) {where}"
    states = sorted((bench.root / "data/06_models").glob("*_state.pt"))
    assert not states, f"a completed run left its training state: {states}"
    how = (
        f"{resumed.group(1)} resumed at epoch {resumed[2]}, step {resumed[3]} | " if resumed else ""
    )
    print(
        f"\nFAULT-TABLE\t{stage}\t{fault}\tkilled with {len(left)} output file(s) complete, "
        f"{len(leftovers)} temporary left\t{how}{_summary(rerun.stdout + rerun.stderr)}\tidentical"
    )


@pytest.mark.parametrize(
    ("stage", "fault"),
    [
        pytest.param(stage, fault, id=f"{stage}-{fault}", marks=pytest.mark.faults)
        for stage, fault, _ in CASES
    ],
)
def test_a_killed_stage_reruns_to_the_same_outputs(bench, stage, fault):
    kill_then_rerun(bench, stage, fault)


def test_collect_killed_between_video_and_record_reruns_to_the_same_outputs(bench):
    kill_then_rerun(bench, *IN_DEFAULT_RUN)


@pytest.mark.faults
@pytest.mark.parametrize("fault", [fault for fault, _ in PREDICT_CASES])
def test_a_killed_predict_reruns_to_the_same_outputs(bench, fault):
    whole = "data/07_model_output/predict_whole"
    if not (bench.root / whole).exists():
        assert bench.predict(whole).returncode == 0
    expected = outputs_digest(bench.root, [whole])
    out = "data/07_model_output/predict"
    shutil.rmtree(bench.root / out, ignore_errors=True)

    killed = bench.predict(out, fault)

    assert killed.returncode == KILLED, f"{fault} never reached:\n{killed.stderr[-4000:]}"
    assert_complete_or_absent(bench.root, [out])
    left = outputs_digest(bench.root, [out])
    assert all(expected[name.replace(out, whole)] == digest for name, digest in left.items())

    rerun = bench.predict(out)

    assert rerun.returncode == 0, rerun.stdout[-4000:] + rerun.stderr[-4000:]
    result = {
        name.replace(out, whole): digest
        for name, digest in outputs_digest(bench.root, [out]).items()
    }
    assert result == expected
    assert partial_files(bench.root) == [], "a temporary outlived the re-run"
    print(
        f"\nFAULT-TABLE\tpredict\t{fault}\tkilled with {len(left)} output file(s) complete, "
        f"{len(partial_files(bench.root))} temporary left\tre-ran every input\tidentical"
    )
