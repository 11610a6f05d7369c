"""How good ACL's mining is, measured on the demo world: the sidecar says what each face shows.

Measurement only; the sidecars never reach the method's training (only the study's oracle
pairing reads them, `oracle_mixtures`: the ceiling of the pairing signal). Each face_tracks row
is matched to the sidecar row of its video and frame whose box it overlaps most (facetrack's own
matching, at IoU >= `iou`), and takes that reactor's dominant expression (or, for the oracle,
its expression mixture). Then, over the same anchors:
- positive precision: the share of positive pairs where both faces show the same dominant
  expression; negative precision: the share of negative pairs where they differ;
- `time_only`: every candidate the time rules give (what mining without the prior trains on,
  in expectation: without the prior ACL keeps a random subset of the same size);
- `prior`: only the candidates the similarity prior keeps.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from rmfer.data.rm_faces import RMFaces
from rmfer.data.rm_sampler import RMSampler
from rmfer.errors import InputError
from rmfer.faces.quality_vs_truth import match_video
from rmfer.labels import CANONICAL_LABELS
from rmfer.models.checkpoint import load_network
from rmfer.training.acl.batches import crop_transform, distinct_faces, open_rm_faces
from rmfer.training.acl.params import AclParams
from rmfer.training.acl.prior import candidate_similarities, embed, select_candidates
from rmfer.training.runtime import deterministic
from rmfer.training.stage import open_device

logger = logging.getLogger(__name__)

# The sidecar's true expression mixture, one column per canonical expression.
MIXTURE_COLUMNS = tuple(f"p_{name.lower()}" for name in CANONICAL_LABELS)
Sidecars = Mapping[str, pd.DataFrame | Callable[[], pd.DataFrame]]


def find_sidecars(folder: str | Path | None, video_ids: list[str]) -> dict[str, Path]:
    """The sidecar file of each video that has one (none when `folder` is unset or absent)."""
    if not folder or not Path(folder).is_dir():
        return {}
    paths = {v: Path(folder) / f"{v}.parquet" for v in video_ids}
    return {v: p for v, p in paths.items() if p.is_file()}


def _matched(
    tracks: pd.DataFrame, sidecars: Sidecars, min_iou: float
) -> Iterator[tuple[np.ndarray, pd.DataFrame]]:
    """Per video: rows of `tracks` and the sidecar rows they matched (same order)."""
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
        yield rows[hit["matched"].to_numpy()], hit


def sidecar_expressions(tracks: pd.DataFrame, sidecars: Sidecars, min_iou: float) -> np.ndarray:
    """The dominant expression of each row of `tracks` by its sidecar; -1 where none matched."""
    dominant = np.full(len(tracks), -1, dtype=np.int64)
    for rows, hit in _matched(tracks, sidecars, min_iou):
        dominant[rows] = hit["dominant"].to_numpy()
    return dominant


def sidecar_mixtures(tracks: pd.DataFrame, sidecars: Sidecars, min_iou: float) -> np.ndarray:
    """(rows, 8) true expression mixtures (canonical order) by the sidecars; NaN where none."""
    mixtures = np.full((len(tracks), len(MIXTURE_COLUMNS)), np.nan, dtype=np.float32)
    for rows, hit in _matched(tracks, sidecars, min_iou):
        missing = [c for c in MIXTURE_COLUMNS if c not in hit.columns]
        if missing:
            raise InputError(f"the sidecars have no expression mixture columns {missing}")
        mixtures[rows] = hit[list(MIXTURE_COLUMNS)].to_numpy(np.float32)
    return mixtures


def oracle_mixtures(tracks: pd.DataFrame, params: AclParams) -> torch.Tensor:
    """What oracle pairing reads: each face's true mixture (NaN row where unmatched).

    The study's ceiling only: `acl.mining_quality.truth_dir`'s sidecars, matched as the mining
    measurement matches them (IoU >= `acl.mining_quality.iou`).
    """
    quality = params.mining_quality
    videos = sorted(tracks["video_id"].astype(str).unique().tolist())
    sidecars = find_sidecars(quality.truth_dir, videos)
    if not sidecars:
        raise InputError(
            f"acl.pairing is oracle but acl.mining_quality.truth_dir ({quality.truth_dir}) "
            "holds no sidecar of these videos"
        )
    mixtures = sidecar_mixtures(tracks, {v: _reader(p) for v, p in sidecars.items()}, quality.iou)
    known = float((~np.isnan(mixtures).any(axis=1)).mean())
    logger.info("ACL oracle pairing: %.1f%% of the faces matched a sidecar row", 100 * known)
    return torch.from_numpy(mixtures)


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
    keep_pos, keep_neg = select_candidates(pos_sim, pos_mask, neg_sim, neg_mask, rho, True)
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


def mining_quality(
    face_tracks: pd.DataFrame,
    checkpoints: dict[str, dict[str, Any]],
    params: AclParams,
) -> dict[str, Any]:
    """Positive / negative precision of mining with and without the prior, per checkpoint.

    Only where the demo world's sidecars exist (`mining_quality.truth_dir`); elsewhere (real
    data) the result says that nothing was measured, and why.
    """
    quality = params.mining_quality
    videos = sorted(face_tracks["video_id"].astype(str).unique().tolist())
    sidecars = find_sidecars(quality.truth_dir, videos)
    if not sidecars:
        where = quality.truth_dir or "acl.mining_quality.truth_dir = null"
        return {
            "available": False,
            "note": f"no ground truth ({where}): mining quality is measured on the demo world only",
        }
    started = time.perf_counter()
    device = open_device(params)
    faces, sampler, _ = open_rm_faces(face_tracks, params)
    dominant = sidecar_expressions(
        faces.tracks, {v: _reader(p) for v, p in sidecars.items()}, quality.iou
    )
    result: dict[str, Any] = {
        "available": True,
        "videos_with_truth": len(sidecars),
        "videos_without_truth": sorted(set(videos) - set(sidecars)),
        "faces_matched": round(float((dominant >= 0).mean()), 4),
        "rho": params.rho,
        "window_s": params.window_s,
        "distance_s": params.distance_s,
    }
    with deterministic(device.type == "cpu"):
        for name, checkpoint in checkpoints.items():
            net = load_network(checkpoint, device)
            embedder = network_embedder(
                net, faces, crop_transform(net.config), params.eval_batch_size, device
            )
            result[name] = measure_mining(
                embedder,
                sampler,
                dominant,
                anchors=quality.anchors,
                rho=params.rho,
                seed=quality.seed,
            )
    for name in checkpoints:
        figures = result[name]
        logger.info(
            "ACL mining quality with %s (%d anchors): positive precision %s time-only -> %s with "
            "the prior; negative precision %s -> %s",
            name,
            figures["anchors"],
            figures["time_only"]["positive"]["precision"],
            figures["prior"]["positive"]["precision"],
            figures["time_only"]["negative"]["precision"],
            figures["prior"]["negative"]["precision"],
        )
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def _reader(path: Path) -> Any:
    return lambda: pd.read_parquet(path)
