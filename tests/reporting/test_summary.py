"""evaluation.json, metrics.json and the plot tables from made-up model results."""

from __future__ import annotations

import pytest

from rmfer.errors import InputError
from rmfer.reporting.summary import (
    build_evaluation,
    embed_models,
    headline_metrics,
    plot_tables,
    rounded,
)
from tests.reporting.fixtures import (
    FACETRACK_QUALITY,
    FACETRACK_REPORT,
    MINING,
    evaluate_params,
    model_result,
    not_trained,
)


def _evaluation(
    baseline_trained: bool = True,
    quality: dict | None = FACETRACK_QUALITY,
    control_trained: bool = True,
):
    results = [
        model_result("baseline", errors=4) if baseline_trained else not_trained(),
        model_result("ial", errors=2),
        model_result("control", errors=3, epochs=3) if control_trained else not_trained("control"),
        model_result("acl", errors=1, epochs=3),
    ]
    stage = {
        "baseline": {"seconds": 40.0, "accuracy": 8 / 12}
        if baseline_trained
        else {"trained": False},
        "ial": {"dataset": "rafdb", "accuracy": 10 / 12},
        "control": {"dataset": "rafdb", "seconds": 60.0} if control_trained else {"trained": False},
        "acl": {"dataset": "rafdb", "seconds": 100.5, "mining_quality": MINING},
    }
    embedding = {"method": "t-SNE", "space": "features", "perplexity": 5, "seconds": 2.0}
    params = evaluate_params()
    return build_evaluation(results, stage, FACETRACK_REPORT, quality, embedding, params)


def test_rounded_is_what_the_report_prints():
    assert rounded(0.123456) == 0.1235
    assert rounded(None) is None and rounded(float("nan")) is None


def test_headline_metrics_carry_the_models_facetrack_mining_and_times():
    metrics = headline_metrics(_evaluation())
    ial = metrics["models"]["ial"]
    assert ial["accuracy"] == 0.8333 and ial["mean_class_accuracy"] == 0.8333
    assert ial["per_class_recall"] == {"Neutral": 0.5, "Happiness": 1.0, "Sadness": 1.0}
    assert ial["similarity_same"] == 0.8123 and ial["attention_diagonal_mass"] == 0.6333
    assert metrics["models"]["baseline"]["accuracy"] == 0.6667
    assert list(metrics["models"]) == ["baseline", "ial", "control", "acl"]
    assert metrics["models"]["control"]["accuracy"] == 0.75  # 3 of 12 wrong
    assert (
        metrics["facetrack"]["recall"] == 0.9988 and metrics["facetrack"]["ids_per_reactor"] == 1.5
    )
    assert metrics["mining"] == {
        "positive_precision_time_only": 0.7,
        "positive_precision_prior": 0.8,
        "negative_precision_time_only": 0.75,
        "negative_precision_prior": 0.9,
    }
    # facetrack: 12.25 + 0.5; evaluate: 4 models x 1.5 s + 2 s of t-SNE
    assert metrics["seconds"] == {
        "facetrack": 12.8,
        "ial (baseline)": 40.0,
        "acl (mining quality)": 3.5,
        "acl": 100.5,
        "acl (control)": 60.0,
        "evaluate": 8.0,
    }


def test_a_baseline_that_was_not_trained_is_said_so_and_never_scored():
    evaluation = _evaluation(baseline_trained=False)
    assert evaluation["models"]["baseline"] == {
        "trained": False,
        "reason": "baseline_run.train is false",
    }
    assert headline_metrics(evaluation)["models"]["baseline"] == {"trained": False}
    seconds = {row["stage"]: row for row in evaluation["stage_seconds"]}
    assert seconds["ial (baseline)"]["seconds"] is None
    assert "baseline" not in evaluation["parameters"]


def test_a_control_that_was_not_trained_is_said_so_and_never_scored():
    evaluation = _evaluation(control_trained=False)
    assert evaluation["models"]["control"] == {
        "trained": False,
        "reason": "control_run.train is false",
    }
    assert headline_metrics(evaluation)["models"]["control"] == {"trained": False}
    seconds = {row["stage"]: row for row in evaluation["stage_seconds"]}
    assert seconds["acl (control)"] == {
        "stage": "acl (control)",
        "seconds": None,
        "source": "not trained",
    }
    assert "control" not in evaluation["parameters"]


def test_without_facetrack_quality_the_figures_are_absent_and_the_reason_given():
    evaluation = _evaluation(quality=None)
    assert evaluation["facetrack"]["available"] is False
    assert "demo world only" in evaluation["facetrack"]["note"]
    assert evaluation["facetrack"]["counts"]["faces"] == 38
    assert "facetrack" not in headline_metrics(evaluation)


def test_parameters_list_what_each_model_was_trained_with():
    parameters = _evaluation()["parameters"]
    assert parameters["ial"] == {"epochs": 10, "lambda_att": 1.0, "seed": 0}
    assert parameters["baseline"] == {"lambda_att": 0.0}  # only what differs from IAL
    assert parameters["acl"] == {"epochs": 3, "lambda_att": 1.0, "seed": 0, "mu": 1.0}
    assert parameters["control"] == {"mu": 0.0}  # only what differs from ACL
    assert parameters["facetrack"] == {
        "detector": "bundled",
        "sample_rate_hz": 5,
        "params_hash": "abc",
    }
    assert parameters["evaluate"]["embedding"]["perplexity"] == 5


def test_plot_tables_hold_one_row_per_test_image_and_one_per_class():
    confusion, recall = plot_tables([not_trained(), model_result("ial", errors=2)])
    assert set(confusion) == {"ial"} == set(recall)
    table = confusion["ial"]
    assert len(table) == 12 and list(table.columns) == ["actual", "predicted"]
    assert (table["actual"] != table["predicted"]).sum() == 2
    assert table.iloc[0].tolist() == ["Neutral", "Happiness"]
    assert recall["ial"].to_dict("records")[0] == {"class": "Neutral", "recall": 0.5}


def test_embedding_of_trained_models_only_with_class_names():
    tables, info = embed_models(
        [not_trained(), model_result("ial", 0), model_result("acl", 0)], evaluate_params()
    )
    assert set(tables) == {"ial", "acl"} and info["samples"] == {"ial": 12, "acl": 12}
    assert list(tables["ial"].columns) == ["sample", "x", "y", "label", "class"]
    assert tables["ial"]["class"].tolist()[:5] == ["Neutral"] * 4 + ["Happiness"]


def test_nothing_trained_is_an_error():
    with pytest.raises(InputError, match="no trained model"):
        build_evaluation(
            [not_trained("ial")], {}, FACETRACK_REPORT, None, {"seconds": 0}, evaluate_params()
        )
