from kedro.pipeline import Pipeline, node, pipeline

from rmfer.pipelines.collect import nodes


def create_pipeline(**kwargs) -> Pipeline:
    return pipeline(
        [
            node(
                nodes.collect_rm_videos,
                inputs=["rm_sources", "params:collect"],
                outputs=["rm_video_index", "rm_videos"],
                name="collect_rm_videos",
            ),
        ]
    )
