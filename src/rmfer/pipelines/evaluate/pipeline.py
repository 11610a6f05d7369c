from collections.abc import Callable
from typing import Any

import pandas as pd
from kedro.pipeline import Pipeline, node, pipeline

from rmfer.pipelines.evaluate import nodes
from rmfer.reporting.schema import MODELS


def _evaluate(name: str) -> Callable[..., nodes.ModelResult]:
    """`evaluate_model` bound to one model's name, as a function of the node's three inputs."""

    def evaluate(
        benchmark_index: pd.DataFrame, checkpoint: dict[str, Any], params: dict[str, Any]
    ) -> nodes.ModelResult:
        return nodes.evaluate_model(benchmark_index, checkpoint, params, name)

    evaluate.__name__ = evaluate.__qualname__ = f"evaluate_{name}"
    return evaluate


def create_pipeline(**kwargs) -> Pipeline:
    """baseline_model, ial_model, control_model, acl_model on benchmark_index's test split ->
    evaluation, metrics (dvc metrics), plot data (dvc plots), figures and report.md."""
    evaluate = [
        node(
            _evaluate(name),
            inputs=["benchmark_index", f"{name}_model", "params:evaluate"],
            outputs=f"{name}_test_result",
            name=f"evaluate_{name}",
        )
        for name in MODELS
    ]
    return pipeline(
        [
            *evaluate,
            node(
                nodes.compare_models,
                inputs=[
                    *(f"{name}_test_result" for name in MODELS),
                    *(f"{name}_metrics" for name in MODELS),
                    "facetrack_report",
                    "params:evaluate",
                ],
                outputs=[
                    "evaluation",
                    "evaluate_metrics",
                    "confusion_plot_data",
                    "recall_plot_data",
                    "embedding_plot_data",
                ],
                name="compare_models",
            ),
            node(
                nodes.plot_evaluation,
                inputs=["evaluation", "embedding_plot_data"],
                outputs="evaluate_figures",
                name="plot_evaluation",
            ),
            node(
                nodes.write_report,
                inputs=["evaluation", "evaluate_metrics"],
                outputs="report",
                name="write_report",
            ),
        ]
    )
