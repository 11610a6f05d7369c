from kedro.pipeline import Pipeline, node, pipeline

from rmfer.pipelines.ial import nodes


def create_pipeline(**kwargs) -> Pipeline:
    """benchmark (catalog: format + path) -> benchmark_index -> ial_model, ial_metrics;
    and the CE-only baseline_model, baseline_metrics that evaluate compares against."""
    return pipeline(
        [
            node(
                nodes.index_benchmark,
                inputs="benchmark",
                outputs="benchmark_index",
                name="index_benchmark",
            ),
            node(
                nodes.train_ial_model,
                inputs=["benchmark_index", "params:ial"],
                outputs=["ial_model", "ial_metrics"],
                name="train_ial",
            ),
            node(
                nodes.train_baseline_model,
                inputs=["benchmark_index", "params:ial", "params:ial_baseline"],
                outputs=["baseline_model", "baseline_metrics"],
                name="train_baseline",
            ),
        ]
    )
