from kedro.pipeline import Pipeline, node, pipeline

from rmfer.pipelines.acl import nodes


def create_pipeline(**kwargs) -> Pipeline:
    """face_tracks + rm_faces + benchmark_index + ial_model -> acl_model, acl_metrics.

    The mining measurement is a node of its own, before training: on the demo it reads the
    world's sidecars (acl.mining_quality.truth_dir); on real data it records that there is no
    ground truth. Its result only goes into the report.
    """
    return pipeline(
        [
            node(
                nodes.measure_acl_mining,
                inputs=["face_tracks", "ial_model", "params:acl"],
                outputs="acl_mining_quality",
                name="measure_acl_mining",
            ),
            node(
                nodes.train_acl_model,
                inputs=[
                    "face_tracks",
                    "rm_faces",
                    "benchmark_index",
                    "ial_model",
                    "acl_mining_quality",
                    "params:acl",
                ],
                outputs=["acl_model", "acl_metrics"],
                name="train_acl",
            ),
        ]
    )
