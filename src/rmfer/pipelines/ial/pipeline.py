from kedro.pipeline import Pipeline, node, pipeline

from rmfer.pipelines.ial import nodes


def create_pipeline(**kwargs) -> Pipeline:
    """benchmark (catalog: format + path) -> benchmark_index -> ial_model, ial_metrics."""
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
        ]
    )
