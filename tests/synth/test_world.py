import hashlib
import io

import av
import numpy as np
import pytest

from rmfer.labels import CANONICAL_LABELS
from rmfer.synth import world
from rmfer.synth.mashup import MIXTURE_COLUMNS, grids_for
from rmfer.synth.params import SynthParams
from tests.conftest import tiny_synth_params


@pytest.fixture(scope="module")
def plan() -> world.WorldPlan:
    return world.plan_world(SynthParams.from_dict(tiny_synth_params(reactors_min=9)))


def _digest(files: dict[str, bytes]) -> dict[str, str]:
    return {key: hashlib.sha256(data).hexdigest() for key, data in files.items()}


def test_same_seed_gives_identical_bytes_another_seed_another_world(plan):
    again = world.plan_world(SynthParams.from_dict(tiny_synth_params(reactors_min=9)))
    assert _digest(world.render_benchmark(plan, 1)) == _digest(world.render_benchmark(again, 2))
    first, _ = world.render_video(plan.videos[0])
    second, _ = world.render_video(again.videos[0])
    assert first == second
    other_params = tiny_synth_params(reactors_min=9)
    other_params["seed"] += 1
    other = world.plan_world(SynthParams.from_dict(other_params))
    assert world.render_video(other.videos[0])[0] != first
    assert set(_digest(world.render_benchmark(other, 1)).values()).isdisjoint(
        _digest(world.render_benchmark(plan, 1)).values()
    )


def test_identities_are_disjoint_between_train_and_test(plan):
    train = {plan.identities[i] for i in plan.identities_per_split["train"]}
    test = {plan.identities[i] for i in plan.identities_per_split["test"]}
    assert train.isdisjoint(test)
    for item in plan.items:
        assert item.identity_idx in plan.identities_per_split[item.split]


def test_label_counts_per_class_are_exact(plan):
    for split, quota in (("train", 3), ("test", 2)):
        labels = [item.label for item in plan.items if item.split == split]
        assert np.bincount(labels, minlength=7).tolist() == [quota] * 7


def test_annotation_noise_makes_labels_disagree_with_the_dominant_expression():
    params = tiny_synth_params()
    params["benchmark"].update(per_class_train=60, per_class_test=1, annotation_noise=0.6)
    noisy = world.plan_world(SynthParams.from_dict(params))
    agreement = np.mean([item.label == item.mixture.argmax() for item in noisy.items])
    params["benchmark"]["annotation_noise"] = 0.0
    clean = world.plan_world(SynthParams.from_dict(params))
    clean_agreement = np.mean([item.label == item.mixture.argmax() for item in clean.items])
    assert clean_agreement == 1.0
    assert 0.4 < agreement < 0.95


def test_video_is_h264_at_the_planned_size_and_rate_with_a_full_sidecar(plan):
    video_plan = plan.videos[0]
    data, truth = world.render_video(video_plan)
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert (stream.width, stream.height) == (640, 360)
        assert stream.average_rate == 5
        frames = sum(1 for _ in container.decode(video=0))
    assert frames == 10  # 2 s at 5 fps
    reactors = len(video_plan.reactors)
    assert reactors == 9
    assert len(truth) == frames * reactors
    assert truth.groupby("frame_idx")["person_id"].nunique().eq(reactors).all()
    mixtures = truth[list(MIXTURE_COLUMNS)].to_numpy()
    assert np.allclose(mixtures.sum(axis=1), 1.0, atol=1e-3)
    assert truth["dominant"].between(0, len(CANONICAL_LABELS) - 1).all()
    boxes = truth[["x1", "y1", "x2", "y2"]].to_numpy()
    assert np.all(boxes[:, 2] > boxes[:, 0]) and np.all(boxes[:, 3] > boxes[:, 1])
    assert boxes.min() >= 0 and boxes[:, 2].max() <= 640 and boxes[:, 3].max() <= 360
    # Faces in a 3x3 grid of 640x360 are the smallest the demo makes; they stay detectable size.
    assert (boxes[:, 3] - boxes[:, 1]).min() >= 40


def test_every_reactor_count_has_a_grid():
    for reactors in range(2, 10):
        grids = grids_for(reactors)
        assert grids and all(rows * cols >= reactors for rows, cols in grids)


def test_rm_sources_lists_file_urls(plan, tmp_path):
    sources = world.rm_sources(plan, str(tmp_path / "videos"))
    assert list(sources.columns) == ["url", "note"]
    assert sources["url"].tolist() == [
        (tmp_path / "videos" / f"demo_{k:03d}.mp4").as_uri() for k in range(2)
    ]
