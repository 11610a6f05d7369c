"""The measurement itself: each figure falls when the output gets worse."""

from __future__ import annotations

import pandas as pd
from pytest import approx

from rmfer.faces.quality_vs_truth import quality_report


def truth_and_perfect_output() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    rows = []
    for frame in range(10):
        for reactor in range(3):
            rows.append(
                {
                    "frame_idx": frame,
                    "time_s": frame / 10,
                    "person_id": reactor,
                    "x1": 100.0 * reactor,
                    "y1": 0.0,
                    "x2": 100.0 * reactor + 50,
                    "y2": 60.0,
                    "looking_away": reactor == 2 and frame < 2,
                    "occluded": False,
                }
            )
    truth = pd.DataFrame(rows)
    sampled = truth[truth["frame_idx"] % 2 == 0]
    output = sampled[["frame_idx", "time_s", "person_id", "x1", "y1", "x2", "y2"]].assign(
        video_id="v"
    )
    frames = sampled.drop_duplicates("frame_idx")[["frame_idx", "time_s"]].assign(video_id="v")
    return truth, output, frames


def test_perfect_output_scores_one_and_each_fault_shows():
    truth, output, frames = truth_and_perfect_output()
    perfect = quality_report(output, frames, {"v": truth})["overall"]
    assert perfect["recall"] == perfect["precision"] == perfect["purity_min"] == 1.0
    assert perfect["ids_per_reactor"] == 1.0
    assert perfect["truth_faces"] == 15  # only the sampled frames count

    missed = quality_report(output.iloc[3:], frames, {"v": truth})["overall"]
    assert missed["recall"] == approx(12 / 15, abs=1e-4) and missed["precision"] == 1.0

    junk = pd.concat([output, output.iloc[:5].assign(x1=900.0, x2=950.0)])
    assert quality_report(junk, frames, {"v": truth})["overall"]["precision"] == approx(
        15 / 20, abs=1e-4
    )

    mixed = output.copy()
    mixed.loc[mixed.index[:2], "person_id"] = 1  # two of reactor 0's faces called person 1
    assert quality_report(mixed, frames, {"v": truth})["overall"]["purity_min"] < 0.98

    split = output.copy()
    split.loc[(split["person_id"] == 0) & (split["frame_idx"] > 4), "person_id"] = 7
    assert quality_report(split, frames, {"v": truth})["overall"]["ids_per_reactor"] == approx(
        4 / 3, abs=1e-4
    )


def test_looking_away_rows_are_counted_apart_and_no_truth_is_said():
    truth, output, frames = truth_and_perfect_output()
    without_away = output[~((output["person_id"] == 2) & (output["frame_idx"] < 2))]
    figures = quality_report(without_away, frames, {"v": truth})
    assert figures["overall"]["recall"] == approx(14 / 15, abs=1e-4)
    assert figures["overall"]["recall_without_away_occluded"] == 1.0
    assert figures["per_video"]["v"]["recall_looking_away"] == 0.0
    empty = quality_report(output, frames, {})
    assert empty["videos_measured"] == 0 and "nothing measured" in empty["note"]
