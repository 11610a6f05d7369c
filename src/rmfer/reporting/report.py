"""report.md: the comparison table and the run's context, in words a user reads first.

Every number in the tables is taken from metrics.json's dict (already rounded), so the report
and `dvc metrics show` cannot disagree.
"""

from __future__ import annotations

import json

import yaml

from rmfer.reporting.schema import (
    FACETRACK_KEYS,
    MINING_KINDS,
    MODEL_TITLES,
    Evaluation,
    Metrics,
    mining_key,
)

FIGURES = (
    ("confusion.png", "Confusion matrices"),
    ("per_class_recall.png", "Recall per class"),
    ("attention.png", "Attention matrices"),
    ("similarity.png", "Same- vs different-label similarity"),
    ("embedding.png", "t-SNE of the test features"),
)


def number(value: float | None) -> str:
    """How the report prints a metric: metrics.json's value, or n/a."""
    return "n/a" if value is None else f"{value:.4f}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def comparison_section(evaluation: Evaluation, metrics: Metrics) -> list[str]:
    rows = []
    for name, figures in metrics["models"].items():
        entry = evaluation["models"][name]
        title = MODEL_TITLES.get(name, name)
        if not figures["trained"]:
            rows.append([title, f"not trained ({entry['reason']})", *["—"] * 7])
            continue
        rows.append(
            [
                title,
                str(entry["epochs"]),
                f"{entry['lambda_att']:g}" if entry["lambda_att"] is not None else "n/a",
                number(figures["accuracy"]),
                number(figures["mean_class_accuracy"]),
                number(figures["attention_diagonal_mass"]),
                number(figures["similarity_same"]),
                number(figures["similarity_different"]),
                str(entry["test_images"]),
            ]
        )
    header = [
        "model",
        "epochs",
        "lambda_att",
        "accuracy",
        "mean class accuracy",
        "attention diagonal mass",
        "similarity same label",
        "similarity different label",
        "test images",
    ]
    lines = [
        "## Comparison on the test split",
        "",
        f"Dataset `{evaluation['dataset']}`, {evaluation['test_images']} test images. Accuracy "
        "is over all test images; mean class accuracy is the mean of the recalls per class. The "
        "attention and similarity columns measure the projection z = g(f) all against all "
        "(self excluded): the baseline's loss never trains g, so its columns show an untrained "
        "similarity, the reference IAL's attention term is meant to improve on. Epochs are each "
        "stage's own: IAL + ACL fine-tunes the IAL weights for its epochs. IAL continued "
        "(mu = 0) is the control: ACL's training from the same IAL weights (same steps, "
        "optimiser, schedule and epoch selection) with L_ACL off, so what IAL + ACL gains over "
        "it is ACL's doing, not that of more training.",
        "",
        *_table(header, rows),
        "",
        "### Recall per class",
        "",
    ]
    trained = [n for n, f in metrics["models"].items() if f["trained"]]
    classes = evaluation["label_names"]
    recall_rows = [
        [label, *(number(metrics["models"][n]["per_class_recall"].get(label)) for n in trained)]
        for label in classes
    ]
    lines += _table(["class", *(MODEL_TITLES.get(n, n) for n in trained)], recall_rows)
    return [*lines, ""]


def figures_section() -> list[str]:
    lines = ["## Figures", ""]
    lines += [f"- {title}: [figures/{name}](figures/{name})" for name, title in FIGURES]
    lines += ["", "![t-SNE](figures/embedding.png)", ""]
    return lines


def facetrack_section(evaluation: Evaluation, metrics: Metrics) -> list[str]:
    facetrack = evaluation["facetrack"]
    counts = facetrack["counts"]
    videos = counts.get("videos") or {}
    lines = [
        "## Face tracking",
        "",
        f"{videos.get('total', 'n/a')} videos ({videos.get('done', 0)} done, "
        f"{videos.get('skipped', 0)} skipped, {videos.get('failed', 0)} failed), "
        f"{counts.get('sampled_frames')} sampled frames, {counts.get('faces')} faces kept, "
        f"{counts.get('persons')} persons; faces dropped: {json.dumps(counts.get('drops'))}.",
        "",
    ]
    if not facetrack["available"]:
        return [*lines, f"Quality: {facetrack['note']}.", ""]
    labels = {
        "recall": "face recall (IoU >= {iou})",
        "recall_without_away_occluded": "recall without looking-away and occluded faces",
        "precision": "face precision",
        "purity_weighted": "identity purity (weighted)",
        "ids_per_reactor": "person ids per reactor",
    }
    rows = [
        [labels[key].format(iou=facetrack["iou"]), number(metrics["facetrack"][key])]
        for key in FACETRACK_KEYS
        if key in metrics["facetrack"]
    ]
    lines += [
        f"Against the demo world's ground truth ({facetrack['videos_measured']} videos, "
        "facetrack_quality.json):",
        "",
        *_table(["measure", "value"], rows),
        "",
    ]
    return lines


def mining_section(evaluation: Evaluation, metrics: Metrics) -> list[str]:
    mining = evaluation["mining"]
    lines = ["## ACL mining precision", ""]
    if not mining.get("available"):
        return [*lines, f"Not measured: {mining.get('note', 'no ground truth')}.", ""]
    figures, pairs = metrics["mining"], mining["ial_model"]
    rows = [
        [
            kind.replace("_", "-"),
            number(figures[mining_key("positive", kind)]),
            str(pairs[kind]["positive"]["pairs"]),
            number(figures[mining_key("negative", kind)]),
            str(pairs[kind]["negative"]["pairs"]),
        ]
        for kind in MINING_KINDS
    ]
    lines += [
        f"Pairs mined for {pairs['anchors']} anchors with ial_model's similarity prior "
        f"(rho {mining['rho']}, window {mining['window_s']} s, distance {mining['distance_s']} "
        "s), judged by the demo's sidecars: a positive is right when it shares the anchor's "
        "dominant expression, a negative when it does not.",
        "",
        *_table(
            ["mining", "positive precision", "positives", "negative precision", "negatives"],
            rows,
        ),
        "",
    ]
    return lines


def timing_section(evaluation: Evaluation, metrics: Metrics) -> list[str]:
    seconds = metrics["seconds"]
    rows = [
        [
            row["stage"],
            f"{seconds[row['stage']]:.1f}" if row["stage"] in seconds else "not recorded",
            row["source"],
        ]
        for row in evaluation["stage_seconds"]
    ]
    return ["## Time per stage", "", *_table(["stage", "seconds", "source"], rows), ""]


def parameters_section(evaluation: Evaluation) -> list[str]:
    text = yaml.safe_dump(evaluation["parameters"], sort_keys=False, default_flow_style=None)
    return [
        "## Parameters",
        "",
        "As the artifacts record them (checkpoints' `extra.params`, facetrack_report.json); "
        "the baseline lists only what differs from IAL, the control what differs from ACL.",
        "",
        "```yaml",
        text.rstrip(),
        "```",
        "",
    ]


def render_report(evaluation: Evaluation, metrics: Metrics) -> str:
    """The whole report.md."""
    lines = [
        "# RMFER report",
        "",
        "The CE-only baseline, IAL, IAL continued with mu = 0 (the control) and IAL + ACL on "
        "the benchmark's test split; written by the evaluate pipeline. The numbers are those of "
        "metrics.json (`dvc metrics show`); plot data for `dvc plots show` is in plots/.",
        "",
        *comparison_section(evaluation, metrics),
        *figures_section(),
        *facetrack_section(evaluation, metrics),
        *mining_section(evaluation, metrics),
        *timing_section(evaluation, metrics),
        *parameters_section(evaluation),
    ]
    return "\n".join(lines)
