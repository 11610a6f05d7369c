from kedro.pipeline import Pipeline, node, pipeline

from rmfer.pipelines.ial import nodes


def training_pipeline() -> Pipeline:
    """One training run: benchmark_index, `ial` and the run block `ial_run` -> ial_model,
    ial_metrics. The baseline reuses it as is under the namespace `baseline`."""
    return pipeline(
        [
            node(
                nodes.train_ial_model,
                inputs=["benchmark_index", "params:ial", "params:ial_run"],
                outputs=["ial_model", "ial_metrics"],
                name="train_ial",
            )
        ]
    )


def baseline_pipeline() -> Pipeline:
    """The CE-only baseline that evaluate compares against: IAL's training under the namespace
    `baseline`, with its own run block (lambda_att = 0), so kedro-viz draws it as IAL's."""
    return pipeline(
        training_pipeline(),
        namespace="baseline",
        inputs={"benchmark_index"},
        parameters={"params:ial": "params:ial", "params:ial_run": "params:baseline_run"},
        outputs={"ial_model": "baseline_model", "ial_metrics": "baseline_metrics"},
    )


def create_pipeline(**kwargs) -> Pipeline:
    """benchmark (catalog: format + path; every image decoded once, `benchmark_check`) ->
    benchmark_index (its train split subsampled by `subsample`) -> ial_model, ial_metrics;
    and the CE-only baseline_model, baseline_metrics (the same training, namespace
    `baseline`)."""
    index = pipeline(
        [
            node(
                nodes.index_benchmark,
                inputs=["benchmark", "params:benchmark_check", "params:subsample"],
                outputs="benchmark_index",
                name="index_benchmark",
            )
        ]
    )
    return index + training_pipeline() + baseline_pipeline()
