"""report.md prints metrics.json's numbers, says what was not trained or not measured."""

from __future__ import annotations

import re

from rmfer.reporting.report import number, render_report
from rmfer.reporting.summary import headline_metrics
from tests.reporting.test_summary import _evaluation


def _rows(report: str, heading: str) -> list[list[str]]:
    """The cells of the first table after `heading`."""
    section = report.split(heading, 1)[1]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    rows = []
    for line in lines[2:]:
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
        if not section.split(line, 1)[1].lstrip(" ").startswith("\n|"):
            break
    return rows


def test_number_prints_four_decimals_or_n_a():
    assert number(0.5) == "0.5000" and number(None) == "n/a"


def test_comparison_table_equals_metrics_json():
    evaluation = _evaluation()
    metrics = headline_metrics(evaluation)
    report = render_report(evaluation, metrics)
    rows = {row[0]: row for row in _rows(report, "## Comparison on the test split")}
    titles = {
        "baseline": "Baseline (CE only)",
        "ial": "IAL",
        "control": "IAL continued (mu = 0)",
        "acl": "IAL + ACL",
    }
    assert list(rows) == list(titles.values())  # the report's order
    for name, title in titles.items():
        figures = metrics["models"][name]
        accuracy, mean_class = float(rows[title][3]), float(rows[title][4])
        assert (accuracy, mean_class) == (figures["accuracy"], figures["mean_class_accuracy"])
    assert rows["IAL"][1:3] == ["10", "1"] and rows["Baseline (CE only)"][2] == "0"
    assert rows["IAL + ACL"][1] == "3" and rows["IAL"][-1] == "12"
    assert rows["IAL continued (mu = 0)"][1:4] == ["3", "1", "0.7500"]
    recall = {row[0]: row[1:] for row in _rows(report, "### Recall per class")}
    # baseline, IAL, the control, IAL + ACL: 4, 2, 3 and 1 of Neutral's 4 images wrong
    assert recall["Neutral"] == ["0.0000", "0.5000", "0.2500", "0.7500"]
    assert "IAL continued (mu = 0) is the control" in report


def test_facetrack_mining_and_times_are_in_the_report():
    evaluation = _evaluation()
    report = render_report(evaluation, headline_metrics(evaluation))
    facetrack = dict(_rows(report, "## Face tracking"))
    assert facetrack["face recall (IoU >= 0.5)"] == "0.9988"
    assert facetrack["person ids per reactor"] == "1.5000"
    mining = {row[0]: row[1:] for row in _rows(report, "## ACL mining precision")}
    assert mining == {
        "time-only": ["0.7000", "100", "0.7500", "100"],
        "prior": ["0.8000", "20", "0.9000", "20"],
    }
    times = {row[0]: row[1] for row in _rows(report, "## Time per stage")}
    assert times["facetrack"] == "12.8" and times["evaluate"] == "8.0"
    assert times["acl (control)"] == "60.0"
    assert times["synth"] == "not recorded" and times["ial"] == "not recorded"
    assert "figures/embedding.png" in report
    assert re.search(r"```yaml\n.*lambda_att: 0.0", report, re.S)


def test_not_trained_and_not_measured_are_written_out():
    evaluation = _evaluation(baseline_trained=False, quality=None)
    evaluation["mining"] = {"available": False, "note": "no ground truth (truth_dir = null)"}
    report = render_report(evaluation, headline_metrics(evaluation))
    rows = {row[0]: row for row in _rows(report, "## Comparison on the test split")}
    assert rows["Baseline (CE only)"][1] == "not trained (baseline_run.train is false)"
    assert set(rows["Baseline (CE only)"][2:]) == {"—"}
    assert "Quality: not measured" in report
    assert "Not measured: no ground truth (truth_dir = null)." in report
    recall_header = report.split("### Recall per class", 1)[1].split("\n")[2]
    assert recall_header == "| class | IAL | IAL continued (mu = 0) | IAL + ACL |"
