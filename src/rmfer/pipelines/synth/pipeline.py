from kedro.pipeline import Pipeline, node, pipeline

from rmfer.pipelines.synth import nodes


def create_pipeline(**kwargs) -> Pipeline:
    return pipeline(
        [
            node(
                nodes.plan_demo_world,
                inputs="params:synth",
                outputs=["demo_world_plan", "demo_world"],
                name="plan_demo_world",
            ),
            node(
                nodes.render_demo_benchmark,
                inputs="demo_world_plan",
                outputs=["benchmark", "demo_benchmark_truth"],  # benchmark: catalog_ial.yml
                name="render_demo_benchmark",
            ),
            node(
                nodes.render_demo_videos,
                inputs="demo_world_plan",
                outputs=["demo_videos", "demo_video_truth", "rm_sources"],
                name="render_demo_videos",
            ),
        ]
    )
