"""Anchors with their positive and negative candidates, drawn from face tracks.

Positives are other people in the same video within `window_s` of the anchor (everyone reacts to
the same moment); negatives are the anchor's own person more than `distance_s` away (the same face
minutes apart usually shows something else). The index is built once; a draw costs a few binary
searches plus the candidates themselves, and touches no file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from rmfer.errors import InputError, ParameterError

REQUIRED_COLUMNS = ("video_id", "person_id", "time_s")


class NoUsableAnchorError(InputError):
    """No face of the table has both a positive and a negative candidate."""


@dataclass
class MiningStats:
    """Why anchors were skipped, so a user sees how much of the data is usable."""

    drawn: int = 0
    skipped_no_positive: int = 0
    skipped_no_negative: int = 0

    @property
    def used(self) -> int:
        return self.drawn - self.skipped_no_positive - self.skipped_no_negative

    def as_dict(self) -> dict[str, int]:
        return {
            "anchors_drawn": self.drawn,
            "anchors_used": self.used,
            "skipped_no_positive": self.skipped_no_positive,
            "skipped_no_negative": self.skipped_no_negative,
        }


@dataclass(frozen=True)
class Candidates:
    """Face ids (rows of the face table) for a batch of anchors; -1 pads, masks say what is real."""

    anchors: np.ndarray  # (B,)
    positives: np.ndarray  # (B, P)
    negatives: np.ndarray  # (B, N)

    @property
    def positive_mask(self) -> np.ndarray:
        return self.positives >= 0

    @property
    def negative_mask(self) -> np.ndarray:
        return self.negatives >= 0


@dataclass
class RMSampler:
    """Index over face tracks: faces sorted by (video, time) and by (video, person, time)."""

    window_s: float
    distance_s: float
    positives: int
    negatives: int
    min_positives: int = 1
    min_negatives: int = 1
    stats: MiningStats = field(default_factory=MiningStats)

    def __post_init__(self) -> None:
        if self.window_s <= 0 or self.distance_s <= 0:
            raise ParameterError(
                f"window_s ({self.window_s}) and distance_s ({self.distance_s}) must be > 0"
            )
        if not 1 <= self.min_positives <= self.positives:
            raise ParameterError(f"need 1 <= min_positives <= positives, got {self.min_positives}")
        if not 1 <= self.min_negatives <= self.negatives:
            raise ParameterError(f"need 1 <= min_negatives <= negatives, got {self.min_negatives}")

    def fit(self, faces: pd.DataFrame) -> RMSampler:
        """Build the index; face ids are positions in `faces` (0..len-1)."""
        missing = [c for c in REQUIRED_COLUMNS if c not in faces.columns]
        if missing:
            raise InputError(f"face tracks lack columns {missing}; facetrack writes them")
        if faces.empty:
            raise InputError("face tracks are empty: facetrack found no faces in any video")
        video = pd.factorize(faces["video_id"])[0].astype(np.int64)
        person = faces["person_id"].to_numpy(np.int64)
        time_s = faces["time_s"].to_numpy(np.float64)
        self._video, self._person, self._time = video, person, time_s
        # By (video, time): a positive window is one contiguous slice.
        self._by_time = np.lexsort((time_s, video))
        self._by_time_video = video[self._by_time]
        self._by_time_time = time_s[self._by_time]
        # By (video, person, time): a person's negatives are a prefix and a suffix of one slice.
        self._by_person = np.lexsort((time_s, person, video))
        keys = np.stack([video[self._by_person], person[self._by_person]], axis=1)
        starts = np.flatnonzero(np.r_[True, np.any(keys[1:] != keys[:-1], axis=1)])
        self._person_start = np.empty(len(faces), np.int64)
        self._person_end = np.empty(len(faces), np.int64)
        ends = np.r_[starts[1:], len(faces)]
        for start, end in zip(starts, ends, strict=True):
            members = self._by_person[start:end]
            self._person_start[members] = start
            self._person_end[members] = end
        self._by_person_time = time_s[self._by_person]
        video_starts = np.searchsorted(self._by_time_video, np.arange(video.max() + 1), "left")
        video_ends = np.searchsorted(self._by_time_video, np.arange(video.max() + 1), "right")
        self._video_start, self._video_end = video_starts, video_ends
        self._video_names = pd.factorize(faces["video_id"])[1].astype(str).tolist()
        self._count_candidates(starts, ends)
        return self

    def _count_candidates(self, person_starts: np.ndarray, person_ends: np.ndarray) -> None:
        """How many positive and negative candidates every face has: one sorted pass per group."""
        self.positive_counts = np.zeros(len(self._time), np.int64)
        self.negative_counts = np.zeros(len(self._time), np.int64)
        for lo, hi in zip(self._video_start, self._video_end, strict=True):
            faces, times = self._by_time[lo:hi], self._by_time_time[lo:hi]
            t = self._time[faces]
            inside = np.searchsorted(times, t + self.window_s, "right")
            inside -= np.searchsorted(times, t - self.window_s, "left")
            self.positive_counts[faces] = inside
        for start, end in zip(person_starts, person_ends, strict=True):
            faces, times = self._by_person[start:end], self._by_person_time[start:end]
            t = self._time[faces]
            own_window = np.searchsorted(times, t + self.window_s, "right")
            own_window -= np.searchsorted(times, t - self.window_s, "left")
            near = np.searchsorted(times, t + self.distance_s, "right")
            near -= np.searchsorted(times, t - self.distance_s, "left")
            self.positive_counts[faces] -= own_window
            self.negative_counts[faces] = (end - start) - near

    @property
    def usable(self) -> np.ndarray:
        """Faces that can be anchors: enough positives and negatives (a boolean mask)."""
        return (self.positive_counts >= self.min_positives) & (
            self.negative_counts >= self.min_negatives
        )

    def coverage(self) -> pd.DataFrame:
        """Per video: faces, persons, longest track span, and how many faces can be anchors.

        `reason` says in words why a video gives no anchor, so a user can fix the input.
        """
        rows = []
        usable = self.usable
        for v, name in enumerate(self._video_names):
            mine = self._video == v
            persons = np.unique(self._person[mine])
            spans = [np.ptp(self._time[mine & (self._person == p)]) for p in persons]
            has_pos = int((self.positive_counts[mine] >= self.min_positives).sum())
            has_neg = int((self.negative_counts[mine] >= self.min_negatives).sum())
            anchors = int(usable[mine].sum())
            reason = ""
            if anchors == 0:
                if len(persons) < 2:
                    reason = "a single person: no positive pair (another person) is possible"
                elif has_pos == 0:
                    reason = f"no two persons are seen within {self.window_s} s of each other"
                elif max(spans) <= self.distance_s:
                    reason = f"every track spans <= distance_s = {self.distance_s} s: no negative"
                else:
                    reason = "no face has both a positive and a negative candidate"
            rows.append(
                {
                    "video_id": name,
                    "faces": int(mine.sum()),
                    "persons": len(persons),
                    "longest_track_s": round(float(max(spans)), 3),
                    "with_positives": has_pos,
                    "with_negatives": has_neg,
                    "usable_anchors": anchors,
                    "reason": reason,
                }
            )
        return pd.DataFrame(rows)

    def __len__(self) -> int:
        return len(self._time)

    def positive_window(self, face: int) -> np.ndarray:
        """Ids of every other person's faces in the anchor's video within `window_s`."""
        v, t = self._video[face], self._time[face]
        lo, hi = self._video_start[v], self._video_end[v]
        times = self._by_time_time[lo:hi]
        a = lo + np.searchsorted(times, t - self.window_s, "left")
        b = lo + np.searchsorted(times, t + self.window_s, "right")
        window = self._by_time[a:b]
        return window[self._person[window] != self._person[face]]

    def negative_range(self, face: int) -> tuple[int, int, int, int]:
        """The anchor person's slice [start, end) and, inside it, [a, b): within `distance_s`."""
        start, end = self._person_start[face], self._person_end[face]
        times = self._by_person_time[start:end]
        t = self._time[face]
        a = start + np.searchsorted(times, t - self.distance_s, "left")
        b = start + np.searchsorted(times, t + self.distance_s, "right")
        return int(start), int(end), int(a), int(b)

    def draw(self, rng: np.random.Generator, anchors: int) -> Candidates:
        """`anchors` usable anchors with up to `positives`/`negatives` candidates each.

        Anchors without `min_positives` or `min_negatives` candidates are skipped and counted;
        when no face of the whole table is usable this raises, naming each video's problem.
        """
        if not self.usable.any():
            raise NoUsableAnchorError(self._nothing_usable())
        chosen, pos_rows, neg_rows = [], [], []
        while len(chosen) < anchors:
            face = int(rng.integers(len(self._time)))
            self.stats.drawn += 1
            window = self.positive_window(face)
            if len(window) < self.min_positives:
                self.stats.skipped_no_positive += 1
                continue
            start, end, a, b = self.negative_range(face)
            outside = (a - start) + (end - b)
            if outside < self.min_negatives:
                self.stats.skipped_no_negative += 1
                continue
            positives = rng.choice(window, min(self.positives, len(window)), replace=False)
            picks = rng.choice(outside, min(self.negatives, outside), replace=False)
            positions = np.where(picks < a - start, start + picks, b + picks - (a - start))
            negatives = self._by_person[positions]
            chosen.append(face)
            pos_rows.append(_pad(positives, self.positives))
            neg_rows.append(_pad(negatives, self.negatives))
        return Candidates(np.array(chosen), np.stack(pos_rows), np.stack(neg_rows))

    def _nothing_usable(self) -> str:
        per_video = "; ".join(
            f"{row.video_id}: {row.reason}" for row in self.coverage().itertuples(index=False)
        )
        return (
            f"no face can be an ACL anchor ({per_video}). ACL needs videos with at least two "
            f"people seen within window_s = {self.window_s} s of each other (positives) and "
            f"tracks longer than distance_s = {self.distance_s} s (negatives)"
        )


def _pad(ids: np.ndarray, size: int) -> np.ndarray:
    out = np.full(size, -1, dtype=np.int64)
    out[: len(ids)] = ids
    return out
