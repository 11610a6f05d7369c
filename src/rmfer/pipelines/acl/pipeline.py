from kedro.pipeline import Pipeline, node, pipeline

from rmfer.pipelines.acl import nodes

TRAINING_INPUTS = ("face_tracks", "rm_faces", "benchmark_index", "ial_model", "acl_mining_quality")


def training_pipeline() -> Pipeline:
    """One training run: the RM faces, benchmark_index, ial_model, `acl` and the run block
    `acl_run` -> acl_model, acl_metrics. The control reuses it as is under the namespace
    `control`."""
    return pipeline(
        [
            node(
                nodes.train_acl_model,
                inputs=[*TRAINING_INPUTS, "params:acl", "params:acl_run"],
                outputs=["acl_model", "acl_metrics"],
                name="train_acl",
            )
        ]
    )


def control_pipeline() -> Pipeline:
    """The control that evaluate compares IAL + ACL against: ACL's training under the namespace
    `control`, with its own run block (mu = 0: IAL continued, same steps, optimiser, schedule
    and selection, no RM face read), so kedro-viz draws it as ACL's."""
    return pipeline(
        training_pipeline(),
        namespace="control",
        inputs=set(TRAINING_INPUTS),
        parameters={"params:acl": "params:acl", "params:acl_run": "params:control_run"},
        outputs={"acl_model": "control_model", "acl_metrics": "control_metrics"},
    )


def create_pipeline(**kwargs) -> Pipeline:
    """face_tracks + rm_faces + benchmark_index + ial_model -> acl_model, acl_metrics; and the
    control_model, control_metrics (the same training with mu = 0, namespace `control`).

    The mining measurement is a node of its own, before training: on the demo it reads the
    world's sidecars (acl.mining_quality.truth_dir); on real data it records that there is no
    ground truth. Its result only goes into the report.
    """
    mining = pipeline(
        [
            node(
                nodes.measure_acl_mining,
                inputs=["face_tracks", "ial_model", "params:acl"],
                outputs="acl_mining_quality",
                name="measure_acl_mining",
            )
        ]
    )
    return mining + training_pipeline() + control_pipeline()
