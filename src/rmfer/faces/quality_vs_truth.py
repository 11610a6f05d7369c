"""How well facetrack found and named the reactors, measured against the demo world's sidecars.

Measurement only: the sidecar (per frame and reactor: box, landmarks, person) exists for the
synthetic demo and never reaches training. Faces are compared on the frames facetrack sampled,
matched per frame one-to-one at IoU >= a threshold:
- recall: matched sidecar faces / sidecar faces; also without the rows the sidecar marks as
  looking away or occluded (still faces, but harder ones);
- precision: matched output faces / output faces;
- purity of a person_id: the share of its matched faces that belong to its most frequent
  reactor; ids per reactor: how many person_ids have that reactor as their majority.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from rmfer.faces.track import match_boxes

BOX = ["x1", "y1", "x2", "y2"]
HARD = ("looking_away", "occluded")


def match_video(
    tracks: pd.DataFrame, frames: pd.DataFrame, truth: pd.DataFrame, min_iou: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The sidecar rows of the sampled frames, each with the output row it matched (`matched`,
    -1 if none), and the output rows with the reactor they matched (`reactor`, -1 if none)."""
    sampled = set(frames["frame_idx"].tolist())
    truth = truth[truth["frame_idx"].isin(sampled)].reset_index(drop=True)
    tracks = tracks.reset_index(drop=True)
    truth_match = np.full(len(truth), -1)
    reactor = np.full(len(tracks), -1)
    by_frame = tracks.groupby("frame_idx").indices
    for frame_idx, rows in truth.groupby("frame_idx").indices.items():
        mine = by_frame.get(frame_idx)
        if mine is None:
            continue
        pairs = match_boxes(
            truth.loc[rows, BOX].to_numpy(), tracks.loc[mine, BOX].to_numpy(), min_iou
        )
        for r, c in pairs:
            truth_match[rows[r]] = mine[c]
            reactor[mine[c]] = int(truth.loc[rows[r], "person_id"])
    return truth.assign(matched=truth_match), tracks.assign(reactor=reactor)


def video_quality(
    tracks: pd.DataFrame, frames: pd.DataFrame, truth: pd.DataFrame, min_iou: float = 0.5
) -> dict[str, Any]:
    truth_rows, out_rows = match_video(tracks, frames, truth, min_iou)
    hit = truth_rows["matched"] >= 0
    easy = ~truth_rows[list(HARD)].any(axis=1)
    matched = out_rows[out_rows["reactor"] >= 0]
    per_id: dict[int, Counter] = defaultdict(Counter)
    for pid, who in zip(matched["person_id"], matched["reactor"], strict=True):
        per_id[int(pid)][int(who)] += 1
    purity = {pid: max(c.values()) / sum(c.values()) for pid, c in per_id.items()}
    majority = Counter(c.most_common(1)[0][0] for c in per_id.values())
    reactors = sorted(set(truth_rows["person_id"].tolist()))
    times = frames.set_index("frame_idx")["time_s"]
    truth_times = truth_rows.drop_duplicates("frame_idx").set_index("frame_idx")["time_s"]
    clock = (times.reindex(truth_times.index) - truth_times).abs()
    return {
        "sampled_frames": len(frames),
        "truth_faces": len(truth_rows),
        "output_faces": len(out_rows),
        "matched": int(hit.sum()),
        "recall": _ratio(hit.sum(), len(truth_rows)),
        "recall_without_away_occluded": _ratio((hit & easy).sum(), easy.sum()),
        "recall_looking_away": _ratio(
            (hit & truth_rows["looking_away"]).sum(), truth_rows["looking_away"].sum()
        ),
        "recall_occluded": _ratio(
            (hit & truth_rows["occluded"]).sum(), truth_rows["occluded"].sum()
        ),
        "precision": _ratio(len(matched), len(out_rows)),
        "person_ids": int(out_rows["person_id"].nunique()),
        "person_ids_unmatched": int(out_rows["person_id"].nunique() - len(per_id)),
        "reactors": len(reactors),
        "purity_min": round(min(purity.values()), 4) if purity else None,
        "purity_weighted": _ratio(sum(max(c.values()) for c in per_id.values()), len(matched)),
        "ids_pure_98": _ratio(sum(p >= 0.98 for p in purity.values()), len(purity)),
        "ids_per_reactor": _ratio(sum(majority.get(r, 0) for r in reactors), len(reactors)),
        "reactors_without_id": sum(1 for r in reactors if majority.get(r, 0) == 0),
        "clock_error_s_max": round(float(clock.max()), 6) if len(clock) else None,
        "_counts": {  # pooled over videos by `quality_report`
            "truth": len(truth_rows),
            "hit": int(hit.sum()),
            "easy": int(easy.sum()),
            "easy_hit": int((hit & easy).sum()),
            "out": len(out_rows),
            "out_hit": len(matched),
            "pure": sum(max(c.values()) for c in per_id.values()),
            "ids_majority": sum(majority.get(r, 0) for r in reactors),
            "reactors": len(reactors),
        },
    }


def quality_report(
    tracks: pd.DataFrame,
    frames: pd.DataFrame,
    truths: Mapping[str, pd.DataFrame | Callable[[], pd.DataFrame]],
    min_iou: float = 0.5,
) -> dict[str, Any]:
    """Per video and pooled figures for every processed video that has a sidecar.

    `truths` maps video_id to the sidecar or to a function loading it (a PartitionedDataset).
    Videos without a sidecar are listed, not measured: with none, the report says so.
    """
    processed = sorted(set(frames["video_id"].tolist()))
    measured = [v for v in processed if v in truths]
    report: dict[str, Any] = {
        "iou": min_iou,
        "videos_measured": len(measured),
        "videos_without_truth": [v for v in processed if v not in truths],
    }
    if not measured:
        report["note"] = "no ground-truth sidecar for any processed video: nothing measured"
        return report
    per_video, purities = {}, []
    for video_id in measured:
        truth = truths[video_id]
        truth = truth() if callable(truth) else truth
        figures = video_quality(
            tracks[tracks["video_id"] == video_id],
            frames[frames["video_id"] == video_id],
            truth,
            min_iou,
        )
        per_video[video_id] = figures
        if figures["purity_min"] is not None:
            purities.append(figures["purity_min"])
    total = Counter()
    for figures in per_video.values():
        total.update(figures.pop("_counts"))
    report["overall"] = {
        "recall": _ratio(total["hit"], total["truth"]),
        "recall_without_away_occluded": _ratio(total["easy_hit"], total["easy"]),
        "precision": _ratio(total["out_hit"], total["out"]),
        "purity_min": min(purities) if purities else None,
        "purity_weighted": _ratio(total["pure"], total["out_hit"]),
        "ids_per_reactor": _ratio(total["ids_majority"], total["reactors"]),
        "reactors": total["reactors"],
        "truth_faces": total["truth"],
        "output_faces": total["out"],
    }
    report["per_video"] = per_video
    return report


def _ratio(num: float, den: float) -> float | None:
    return round(float(num) / float(den), 4) if den else None
