"""The schema and its writer agree: evaluation.json and metrics.json hold exactly the keys the
TypedDicts declare, so every reader that goes through them reads what was written."""

from __future__ import annotations

from typing import get_type_hints

from rmfer.reporting.schema import (
    MODELS,
    EmbeddingInfo,
    Evaluation,
    FacetrackFigures,
    Metrics,
    MiningQuality,
    StageSeconds,
    TrainedHeadline,
    TrainedModel,
    UntrainedModel,
    trained_models,
)
from rmfer.reporting.summary import build_evaluation, embed_models, headline_metrics
from tests.reporting.fixtures import (
    FACETRACK_QUALITY,
    FACETRACK_REPORT,
    MINING,
    evaluate_params,
    model_result,
    not_trained,
)


def _evaluation(baseline_trained: bool = True, quality: dict | None = FACETRACK_QUALITY):
    """evaluation.json as the evaluate node builds it, from made-up model results."""
    results = [
        model_result("baseline", errors=4) if baseline_trained else not_trained(),
        model_result("ial", errors=2),
        model_result("control", errors=3),
        model_result("acl", errors=1),
    ]
    stage = {
        "baseline": {"seconds": 40.0} if baseline_trained else {"trained": False},
        "ial": {"dataset": "rafdb"},
        "control": {},
        "acl": {"mining_quality": MINING},
    }
    params = evaluate_params()
    _, embedding = embed_models(results, params)
    return build_evaluation(results, stage, FACETRACK_REPORT, quality, embedding, params)


def _keys(typed: type) -> set[str]:
    return set(get_type_hints(typed))


def _required(typed: type) -> set[str]:
    return set(typed.__required_keys__)


def _conforms(value: dict, typed: type) -> bool:
    return _required(typed) <= set(value) <= _keys(typed)


def test_evaluation_json_holds_the_schemas_keys():
    evaluation = _evaluation()
    assert set(evaluation) == _keys(Evaluation)
    assert list(evaluation["models"]) == list(MODELS)
    for entry in evaluation["models"].values():
        assert _conforms(entry, TrainedModel), sorted(set(entry) ^ _keys(TrainedModel))
    assert _conforms(evaluation["embedding"], EmbeddingInfo)
    assert _conforms(evaluation["facetrack"], FacetrackFigures)
    assert _conforms(evaluation["mining"], MiningQuality)
    for row in evaluation["stage_seconds"]:
        assert set(row) == _keys(StageSeconds)


def test_an_untrained_model_and_a_missing_measurement_conform_too():
    evaluation = _evaluation(baseline_trained=False, quality=None)
    assert _conforms(evaluation["models"]["baseline"], UntrainedModel)
    assert _conforms(evaluation["facetrack"], FacetrackFigures)
    assert [name for name, _ in trained_models(evaluation)] == ["ial", "control", "acl"]


def test_metrics_json_holds_the_schemas_keys_in_its_order():
    metrics = headline_metrics(_evaluation())
    assert list(metrics) == ["models", "facetrack", "mining", "seconds"]
    assert _conforms(metrics, Metrics)
    for entry in metrics["models"].values():
        assert set(entry) == _keys(TrainedHeadline)
