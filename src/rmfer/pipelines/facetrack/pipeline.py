"""facetrack, and facetrack_quality: the measurement against the demo world's sidecars.

The measurement is a pipeline of its own so that it can be left out where there is no ground
truth (real data, `--env=paper`): it is registered for the demo only.
"""

from kedro.pipeline import Pipeline, node, pipeline

from rmfer.pipelines.facetrack import nodes


def create_pipeline(**kwargs) -> Pipeline:
    return pipeline(
        [
            node(
                nodes.track_faces,
                inputs=["rm_video_index", "rm_videos", "params:facetrack"],
                outputs=["face_tracks", "facetrack_frames", "rm_faces", "facetrack_report"],
                name="track_faces",
            ),
        ]
    )


def create_quality_pipeline(**kwargs) -> Pipeline:
    return pipeline(
        [
            node(
                nodes.measure_facetrack_quality,
                inputs=[
                    "face_tracks",
                    "facetrack_frames",
                    "demo_video_truth",
                    "params:facetrack.evaluation",
                ],
                outputs="facetrack_quality",
                name="measure_facetrack_quality",
            ),
        ]
    )
