from kedro.pipeline import Pipeline, node, pipeline

from rmfer.pipelines.study import nodes


def create_pipeline(**kwargs) -> Pipeline:
    """params:study (+ params:ial, params:acl) -> the study world, every run, the report.

    Not part of `__default__` or `demo`: it trains dozens of nets (`make study`).
    """
    return pipeline(
        [
            node(
                nodes.make_study_world,
                inputs="params:study",
                outputs="study_world",
                name="make_study_world",
            ),
            node(
                nodes.run_study_arms,
                inputs=["study_world", "params:study", "params:ial", "params:acl"],
                outputs="study_runs",
                name="run_study_arms",
            ),
            node(
                nodes.report_study,
                inputs=["study_runs", "study_world", "params:study"],
                outputs=["study_report", "study_plot"],
                name="report_study",
            ),
        ]
    )
