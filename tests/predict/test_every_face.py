"""facetrack's per-video core in predict's every-face mode: the faces facetrack keeps, the same
crops and tracks, plus every face it drops, each with the checks it fails."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from rmfer.faces.quality import BLURRY, PROFILE, SMALL, profiles, sharpness
from rmfer.faces.stream import FEW_FACES, QUALITY_OK, make_detector, track_frames
from rmfer.video.decode import sample_frames


class ListSink:
    def __init__(self) -> None:
        self.crops: list[np.ndarray] = []
        self.keep: np.ndarray | None = None

    def append(self, crop: np.ndarray) -> int:
        self.crops.append(crop)
        return len(self.crops) - 1

    def finish(self, keep: np.ndarray) -> int:
        self.keep = np.asarray(keep)
        return len(self.keep)

    def kept(self) -> list[np.ndarray]:
        assert self.keep is not None
        return [self.crops[k] for k in self.keep.tolist()]


@pytest.fixture(scope="module")
def strict_params(facetrack_params):
    """Checks strict enough that the short clip's faces fail some of them, some two at once: its
    boxes' sides are 73-78 px, one reactor's crops are sharp (~600) but turned 0.1-0.2, the
    other's frontal and softer (~300)."""
    quality = dataclasses.replace(
        facetrack_params.quality, min_face_px=76.5, max_profile=0.1, min_sharpness=400.0
    )
    return dataclasses.replace(facetrack_params, quality=quality)


def run(clip, params, every_face: bool) -> tuple:
    sink = ListSink()
    frames = sample_frames(clip, params.sample_rate_hz)
    tracks, _, stats = track_frames(
        frames, "short", make_detector(params), params, sink, every_face=every_face
    )
    return tracks, sink, stats


@pytest.fixture(scope="module")
def both_modes(short_clip, strict_params):
    return {every_face: run(short_clip, strict_params, every_face) for every_face in (False, True)}


def test_ok_rows_are_facetracks_rows_with_the_same_crops(both_modes):
    (kept, kept_sink, stats), (every, every_sink, _) = both_modes[False], both_modes[True]
    assert "quality" not in kept.columns  # facetrack's table is unchanged
    flagged = every["quality"] != QUALITY_OK
    assert flagged.any() and (~flagged).any(), every["quality"].value_counts()
    assert len(every) == stats["detections"]  # every detected face has a row
    ok = every[~flagged].reset_index(drop=True)
    columns = ["frame_idx", "time_s", "track_id", "x1", "y1", "x2", "y2", "score"]
    assert ok[columns].equals(kept[columns])
    # the same persons, numbered among all faces instead of the kept ones
    pairs = set(zip(ok["person_id"], kept["person_id"], strict=True))
    assert len(pairs) == ok["person_id"].nunique() == kept["person_id"].nunique()
    ok_crops = [c for c, f in zip(every_sink.kept(), flagged, strict=True) if not f]
    assert len(ok_crops) == len(kept_sink.kept())
    for a, b in zip(ok_crops, kept_sink.kept(), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("min_faces", [3, 16])  # 16: more than the clip's 15 frames
def test_quality_names_every_failed_check(both_modes, short_clip, strict_params, min_faces):
    params = strict_params
    if min_faces != params.identity.min_faces:
        identity = dataclasses.replace(params.identity, min_faces=min_faces)
        params = dataclasses.replace(params, identity=identity)
    every, sink, _ = both_modes[True] if params is strict_params else run(short_clip, params, True)
    assert every["quality"].str.contains("+", regex=False).any()  # two checks failed at once
    q = params.quality
    sides = np.minimum(every["x2"] - every["x1"], every["y2"] - every["y1"]).to_numpy()
    landmarks = every[[f"lm{i}_{a}" for i in range(5) for a in "xy"]].to_numpy().reshape(-1, 5, 2)
    turned = profiles(landmarks)
    seen = every.groupby("person_id")["person_id"].transform("size").to_numpy()
    for k, (quality, crop) in enumerate(zip(every["quality"], sink.kept(), strict=True)):
        expected = [
            name
            for name, fails in (
                (SMALL, sides[k] < q.min_face_px),
                (BLURRY, sharpness(crop) < q.min_sharpness),
                (PROFILE, turned[k] > q.max_profile),
                (FEW_FACES, seen[k] < params.identity.min_faces),
            )
            if fails
        ]
        assert quality == ("+".join(expected) or QUALITY_OK), k
