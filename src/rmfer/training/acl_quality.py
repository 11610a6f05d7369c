"""How good ACL's mining is, measured on the demo world: the sidecar says what each face shows.

Measurement only; the sidecars never reach training. Each face_tracks row is matched to the
sidecar row of its video and frame whose box it overlaps most (facetrack's own matching, at
IoU >= `iou`), and takes that reactor's dominant expression. Then, over the same anchors:
- positive precision: the share of positive pairs where both faces show the same dominant
  expression; negative precision: the share of negative pairs where they differ;
- `time_only`: every candidate the time rules give (what mining without the prior trains on,
  in expectation: without the prior ACL keeps a random subset of the same size);
- `prior`: only the candidates the similarity prior keeps.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from rmfer.data.rm_faces import RMFaces
from rmfer.data.rm_sampler import RMSampler
from rmfer.faces.evaluate import match_video
from rmfer.training.acl_batches import distinct_faces
from rmfer.training.acl_prior import candidate_similarities, embed, select_candidates

logger = logging.getLogger(__name__)

Sidecars = Mapping[str, pd.DataFrame | Callable[[], pd.DataFrame]]


def find_sidecars(folder: str | Path | None, video_ids: list[str]) -> dict[str, Path]:
    """The sidecar file of each video that has one (none when `folder` is unset or absent)."""
    if not folder or not Path(folder).is_dir():
        return {}
    paths = {v: Path(folder) / f"{v}.parquet" for v in video_ids}
    return {v: p for v, p in paths.items() if p.is_file()}


def sidecar_expressions(tracks: pd.DataFrame, sidecars: Sidecars, min_iou: float) -> np.ndarray:
    """The dominant expression of each row of `tracks` by its sidecar; -1 where none matched."""
    dominant = np.full(len(tracks), -1, dtype=np.int64)
    video = tracks["video_id"].astype(str).to_numpy()
    for video_id, source in sidecars.items():
        rows = np.flatnonzero(video == video_id)
        if not len(rows):
            continue
        truth = source() if callable(source) else source
        mine = tracks.iloc[rows].reset_index(drop=True)
        frames = mine[["frame_idx"]].drop_duplicates()
        truth_rows, _ = match_video(mine, frames, truth, min_iou)
        hit = truth_rows[truth_rows["matched"] >= 0]
        dominant[rows[hit["matched"].to_numpy()]] = hit["dominant"].to_numpy()
    return dominant


def pair_precision(
    dominant: np.ndarray,
    anchors: np.ndarray,
    candidates: np.ndarray,
    keep: np.ndarray,
    same: bool,
) -> dict[str, Any]:
    """Share of kept pairs whose expressions agree (`same`) or differ, among pairs with truth."""
    anchor_label = np.broadcast_to(dominant[anchors][:, None], candidates.shape)
    other_label = dominant[np.maximum(candidates, 0)]
    known = keep & (candidates >= 0) & (anchor_label >= 0) & (other_label >= 0)
    agree = anchor_label == other_label
    good = (agree if same else ~agree) & known
    pairs = int(known.sum())
    return {"precision": round(float(good.sum()) / pairs, 4) if pairs else None, "pairs": pairs}


FaceEmbedder = Callable[[np.ndarray], torch.Tensor]
"""Face ids -> their projections z, in order."""


def network_embedder(
    net: torch.nn.Module,
    faces: RMFaces,
    prepare: Callable[[torch.Tensor], torch.Tensor],
    chunk: int,
    device: torch.device,
) -> FaceEmbedder:
    """z = g(f) of faces by id, as the prior scores them: read, prepared and run `chunk` at once."""

    def embed_faces(ids: np.ndarray) -> torch.Tensor:
        parts = np.array_split(ids, max(1, -(-len(ids) // chunk)))
        return torch.cat(
            [embed(net, faces.read_tensor(part).to(device), chunk, prepare) for part in parts]
        )

    return embed_faces


@torch.no_grad()
def measure_mining(
    embed_faces: FaceEmbedder,
    sampler: RMSampler,
    dominant: np.ndarray,
    *,
    anchors: int,
    rho: float,
    seed: int,
) -> dict[str, Any]:
    """Positive and negative precision with and without the prior, over `anchors` anchors.

    The same seed draws the same anchors and candidates, so two nets are compared pair for pair.
    """
    drawn = sampler.draw(np.random.default_rng(seed), anchors)
    ids, anchor, positive, negative = distinct_faces(drawn)
    z = embed_faces(ids)
    device = z.device
    slots = [torch.from_numpy(s).to(device) for s in (anchor, positive, negative)]
    pos_sim, neg_sim = candidate_similarities(z, *slots, tau=1.0)
    pos_mask, neg_mask = slots[1] >= 0, slots[2] >= 0
    keep_pos, keep_neg = select_candidates(pos_sim, pos_mask, neg_sim, neg_mask, rho, prior=True)
    keep_pos, keep_neg = keep_pos.cpu().numpy(), keep_neg.cpu().numpy()
    a, p, n = drawn.anchors, drawn.positives, drawn.negatives
    return {
        "anchors": len(a),
        "time_only": {
            "positive": pair_precision(dominant, a, p, drawn.positive_mask, same=True),
            "negative": pair_precision(dominant, a, n, drawn.negative_mask, same=False),
        },
        "prior": {
            "positive": pair_precision(dominant, a, p, keep_pos, same=True),
            "negative": pair_precision(dominant, a, n, keep_neg, same=False),
        },
    }
