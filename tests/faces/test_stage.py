"""facetrack end to end on a small demo world, measured against its sidecars."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rmfer.faces.align import align_face
from rmfer.faces.quality_vs_truth import quality_report
from rmfer.faces.shards import FaceShards
from rmfer.faces.stage import DONE, SKIPPED, run_facetrack
from rmfer.faces.stream import TRACK_COLUMNS
from rmfer.video.decode import sample_frames
from tests.faces.conftest import DURATION_S, facetrack_params


def test_faces_and_identities_match_the_sidecar(small_world, small_world_run):
    result, _ = small_world_run
    truths = {v: small_world.truth(v) for v in small_world.video_ids}
    report = quality_report(result.tracks, result.frames, truths, 0.5)
    overall = report["overall"]
    assert report["videos_measured"] == 2
    assert overall["recall"] >= 0.95
    assert overall["precision"] >= 0.98
    assert overall["purity_min"] >= 0.98  # every person_id: >= 98 % of its faces one reactor's
    assert overall["ids_per_reactor"] <= 1.1
    for video_id, figures in report["per_video"].items():
        assert figures["reactors"] == truths[video_id]["person_id"].nunique()
        assert figures["reactors_without_id"] == 0, video_id
        assert figures["clock_error_s_max"] == 0.0  # sampled times agree with the film clock
    assert result.report["per_video"]["grid_3x3"]["persons"] == 9
    # The layout change really moved the reactors, and was seen as a cut.
    assert small_world.layouts["layout_change"] == 2
    assert result.report["per_video"]["layout_change"]["segments"] >= 2


def test_five_samples_a_second_on_the_film_clock(small_world_run):
    result, _ = small_world_run
    frames = result.frames[result.frames["video_id"] == "grid_3x3"]
    samples = round(DURATION_S * 5)
    assert frames["frame_idx"].tolist() == list(range(0, 2 * samples, 2))  # 10 fps, 5 a second
    assert np.allclose(frames["time_s"], np.arange(samples) * 0.2)


def test_shard_and_offset_point_at_the_aligned_crop_of_each_row(small_world, small_world_run):
    result, faces_dir = small_world_run
    tracks = result.tracks
    assert list(tracks.columns) == list(TRACK_COLUMNS)
    assert (tracks[["x2", "y2"]].max() <= [640, 360]).all()  # the video's own pixels
    shards = FaceShards(faces_dir)
    for video_id, rows in tracks.groupby("video_id"):
        assert shards.shard(f"{video_id}.npy").shape == (len(rows), 112, 112, 3)
        assert sorted(rows["offset"]) == list(range(len(rows)))
    sample = tracks[tracks["video_id"] == "layout_change"].iloc[[0, 17, -1]]
    wanted = set(sample["frame_idx"])
    images = {
        f.index: f.image
        for f in sample_frames(small_world.video("layout_change"), None)
        if f.index in wanted
    }
    points = [f"lm{i}_{a}" for i in range(5) for a in "xy"]
    for row in sample.itertuples():
        expected = align_face(images[row.frame_idx], np.array([getattr(row, p) for p in points]))
        crop = shards.crop(row.shard, row.offset)
        assert np.abs(crop.astype(int) - expected.astype(int)).max() <= 1


def test_a_second_run_skips_and_a_changed_parameter_redoes(small_world, small_world_run):
    result, faces_dir = small_world_run
    shard = faces_dir / "grid_3x3.npy"
    before = shard.stat().st_mtime_ns
    again = run_facetrack(small_world.index(), facetrack_params(faces_dir))
    assert {v["status"] for v in again.report["per_video"].values()} == {SKIPPED}
    assert shard.stat().st_mtime_ns == before
    pd.testing.assert_frame_equal(again.tracks, result.tracks)
    pd.testing.assert_frame_equal(again.frames, result.frames)
    # A stricter profile limit changes what is kept: the video is done again.
    changed = facetrack_params(faces_dir, quality={"max_profile": 0.05})
    redone = run_facetrack(small_world.index().iloc[[0]], changed)
    video = redone.report["per_video"]["grid_3x3"]
    assert video["status"] == DONE
    assert video["drops"]["profile"] > 0
    assert video["faces"] == len(redone.tracks) < (result.tracks["video_id"] == "grid_3x3").sum()
    assert FaceShards(faces_dir).shard("grid_3x3.npy").shape[0] == video["faces"]
    assert not list(faces_dir.glob(".*partial"))


@pytest.mark.parametrize("in_flight", [1, 3])
def test_the_calls_in_flight_change_nothing_but_speed(
    small_world, small_world_run, tmp_path, in_flight
):
    """Batches come back in order however many the detector works on at once."""
    result, _ = small_world_run
    params = facetrack_params(tmp_path, detector={"in_flight": in_flight, "batch_size": 2})
    again = run_facetrack(small_world.index(), params)
    pd.testing.assert_frame_equal(again.tracks, result.tracks)
    pd.testing.assert_frame_equal(again.frames, result.frames)


def test_shards_of_videos_no_longer_listed_are_kept_and_named(small_world, tmp_path, caplog):
    (tmp_path / "gone.npy").write_bytes(b"")
    result = run_facetrack(small_world.index().iloc[[0]], facetrack_params(tmp_path))
    assert (tmp_path / "gone.npy").exists()
    assert set(result.tracks["video_id"]) == {"grid_3x3"}
    assert "rm_video_index no longer lists (gone.npy)" in caplog.text
    assert "left out of face_tracks" in caplog.text
