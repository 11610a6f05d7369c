"""Tracks across sampled frames: IoU with Hungarian assignment, gaps bridged, cuts end all."""

from __future__ import annotations

import numpy as np

from rmfer.faces.track import CutDetector, IouTracker, iou_matrix, match_boxes


def test_iou():
    a = np.array([[0, 0, 10, 10]])
    b = np.array([[0, 0, 10, 10], [5, 0, 15, 10], [20, 20, 30, 30]])
    np.testing.assert_allclose(iou_matrix(a, b), [[1.0, 50 / 150, 0.0]])


def test_assignment_maximises_total_overlap_not_each_track_greedily():
    tracks = np.array([[0, 0, 10, 10], [6, 0, 16, 10]])
    # Detection 0 overlaps track 0 a little more than track 1 does, but only track 1 can take it
    # without leaving detection 1 unmatched: Hungarian pairs (0 -> 1) and (1 -> 0).
    detections = np.array([[3, 0, 13, 10], [-3, 0, 7, 10]])
    assert sorted(match_boxes(tracks, detections, 0.2)) == [(0, 1), (1, 0)]


def test_tracks_follow_moving_faces_and_bridge_short_gaps():
    tracker = IouTracker(min_iou=0.3, max_gap=2)
    a, b = np.array([0.0, 0, 40, 40]), np.array([100.0, 0, 140, 40])
    first = tracker.update(np.stack([a, b]))
    assert sorted(first.tolist()) == [0, 1]
    moved = tracker.update(np.stack([b + [3, 0, 3, 0], a + [4, 2, 4, 2]]))
    assert moved.tolist() == [first[1], first[0]]
    tracker.update(np.zeros((0, 4)))  # both missed for two sampled frames
    tracker.update(np.zeros((0, 4)))
    assert tracker.update(np.stack([a + [5, 2, 5, 2]])).tolist() == [first[0]]
    for _ in range(3):  # b gone longer than max_gap: it comes back as a new track
        tracker.update(np.stack([a]))
    assert tracker.update(np.stack([a, b])).tolist() == [first[0], 2]


def test_a_cut_ends_every_track():
    tracker = IouTracker()
    box = np.array([[0.0, 0, 40, 40]])
    before = tracker.update(box)
    tracker.cut()
    assert tracker.update(box)[0] != before[0]


def _tiles(colours: list[tuple[int, int, int]]) -> np.ndarray:
    """A 2x2 mashup of flat tiles with a little noise."""
    rng = np.random.default_rng(0)
    frame = np.zeros((180, 320, 3), np.uint8)
    for k, colour in enumerate(colours):
        r, c = divmod(k, 2)
        frame[r * 90 : (r + 1) * 90, c * 160 : (c + 1) * 160] = colour
    noise = rng.integers(-3, 4, frame.shape)
    return np.clip(frame.astype(int) + noise, 0, 255).astype(np.uint8)


def test_layout_change_is_a_cut_a_change_in_one_tile_is_not():
    colours = [(200, 40, 40), (40, 200, 40), (40, 40, 200), (200, 200, 40)]
    cuts = CutDetector()
    assert not cuts.is_cut(_tiles(colours))
    assert not cuts.is_cut(_tiles(colours))  # noise only
    film_cut = [colours[0], colours[1], colours[2], (20, 20, 20)]
    assert not cuts.is_cut(_tiles(film_cut))  # a quarter of the frame: the film tile
    assert cuts.is_cut(_tiles([colours[3], colours[2], colours[0], colours[1]]))  # moved
