import numpy as np
import pandas as pd
import pytest

from rmfer.data.rm_sampler import NoUsableAnchorError, RMSampler


def _tracks(persons: int = 4, seconds: float = 60.0, rate: float = 5.0, videos: int = 2):
    rows = []
    for v in range(videos):
        for p in range(persons):
            for k in range(int(seconds * rate)):
                if (k + p) % 11 == 0:  # missed detections, so people do not line up perfectly
                    continue
                rows.append({"video_id": f"v{v}", "person_id": p, "time_s": k / rate})
    return pd.DataFrame(rows).sample(frac=1.0, random_state=0).reset_index(drop=True)


def test_candidates_keep_the_method_invariants():
    faces = _tracks()
    sampler = RMSampler(window_s=1.0, distance_s=6.0, positives=20, negatives=20).fit(faces)
    batch = sampler.draw(np.random.default_rng(0), 300)
    video, person = faces["video_id"].to_numpy(), faces["person_id"].to_numpy()
    time_s = faces["time_s"].to_numpy()
    for anchor, pos, neg in zip(batch.anchors, batch.positives, batch.negatives, strict=True):
        pos, neg = pos[pos >= 0], neg[neg >= 0]
        assert len(pos) >= 1 and len(neg) >= 1
        assert anchor not in pos and anchor not in neg
        assert np.all(person[pos] != person[anchor]) and np.all(video[pos] == video[anchor])
        assert np.all(np.abs(time_s[pos] - time_s[anchor]) <= 1.0 + 1e-9)
        assert np.all(person[neg] == person[anchor]) and np.all(video[neg] == video[anchor])
        assert np.all(np.abs(time_s[neg] - time_s[anchor]) > 6.0)
        assert len(set(pos)) == len(pos) and len(set(neg)) == len(neg)


def test_positive_window_equals_a_brute_force_scan():
    faces = _tracks(persons=3, seconds=20)
    sampler = RMSampler(window_s=0.7, distance_s=3.1, positives=5, negatives=5).fit(faces)
    video, person = faces["video_id"].to_numpy(), faces["person_id"].to_numpy()
    time_s = faces["time_s"].to_numpy()
    for face in range(0, len(faces), 37):
        expected = np.flatnonzero(
            (video == video[face])
            & (person != person[face])
            & (np.abs(time_s - time_s[face]) <= 0.7)
        )
        assert sorted(sampler.positive_window(face)) == sorted(expected)
        start, end, a, b = sampler.negative_range(face)
        outside = np.r_[sampler._by_person[start:a], sampler._by_person[b:end]]
        brute = np.flatnonzero(
            (video == video[face])
            & (person == person[face])
            & (np.abs(time_s - time_s[face]) > 3.1)
        )
        assert sorted(outside) == sorted(brute)


def test_single_person_videos_and_short_tracks_are_skipped_and_counted():
    lonely = _tracks(persons=1, seconds=30, videos=1).assign(video_id="lonely")
    short = _tracks(persons=3, seconds=2, videos=1).assign(video_id="short")
    good = _tracks(persons=3, seconds=30, videos=1).assign(video_id="good")
    faces = pd.concat([lonely, short, good], ignore_index=True)
    sampler = RMSampler(window_s=1.0, distance_s=5.0, positives=4, negatives=4).fit(faces)
    batch = sampler.draw(np.random.default_rng(1), 200)
    used = set(faces.loc[batch.anchors, "video_id"])
    assert used == {"good"}
    assert sampler.stats.skipped_no_positive > 0 and sampler.stats.skipped_no_negative > 0
    assert sampler.stats.used == 200


def test_nothing_usable_is_a_clear_error():
    sampler = RMSampler(window_s=1.0, distance_s=5.0, positives=4, negatives=4)
    sampler.fit(_tracks(persons=1, seconds=30, videos=1))
    with pytest.raises(ValueError, match="at least two people"):
        sampler.draw(np.random.default_rng(0), 8)


def test_candidate_counts_match_a_brute_force_scan():
    faces = _tracks(persons=3, seconds=20)
    sampler = RMSampler(window_s=0.7, distance_s=3.1, positives=5, negatives=5).fit(faces)
    video, person = faces["video_id"].to_numpy(), faces["person_id"].to_numpy()
    time_s = faces["time_s"].to_numpy()
    for face in range(0, len(faces), 13):
        same_video, dt = video == video[face], np.abs(time_s - time_s[face])
        mine = same_video & (person == person[face])
        assert sampler.positive_counts[face] == (same_video & ~mine & (dt <= 0.7)).sum()
        assert sampler.negative_counts[face] == (mine & (dt > 3.1)).sum()


def test_coverage_names_why_a_video_gives_no_anchor():
    lonely = _tracks(persons=1, seconds=30, videos=1).assign(video_id="lonely")
    short = _tracks(persons=3, seconds=2, videos=1).assign(video_id="short")
    apart = _tracks(persons=2, seconds=30, videos=1).assign(video_id="apart")
    on_screen = np.where(apart["person_id"] == 0, apart["time_s"] < 12, apart["time_s"] > 18)
    apart = apart[on_screen]  # never on screen together
    good = _tracks(persons=3, seconds=30, videos=1).assign(video_id="good")
    faces = pd.concat([lonely, short, apart, good], ignore_index=True)
    sampler = RMSampler(window_s=1.0, distance_s=5.0, positives=4, negatives=4).fit(faces)
    coverage = sampler.coverage().set_index("video_id")
    assert coverage.loc["good", "usable_anchors"] == coverage.loc["good", "faces"]
    assert "single person" in coverage.loc["lonely", "reason"]
    assert "spans <= distance_s" in coverage.loc["short", "reason"]
    assert "within 1.0 s" in coverage.loc["apart", "reason"]
    assert (coverage.loc[["lonely", "short", "apart"], "usable_anchors"] == 0).all()
    assert sampler.usable.sum() == coverage["usable_anchors"].sum()


def test_nothing_usable_names_every_video():
    lonely = _tracks(persons=1, seconds=30, videos=1).assign(video_id="lonely")
    short = _tracks(persons=3, seconds=2, videos=1).assign(video_id="short")
    sampler = RMSampler(window_s=1.0, distance_s=5.0, positives=4, negatives=4)
    sampler.fit(pd.concat([lonely, short], ignore_index=True))
    with pytest.raises(NoUsableAnchorError, match=r"lonely: a single person.*short: every track"):
        sampler.draw(np.random.default_rng(0), 8)
