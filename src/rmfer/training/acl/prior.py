"""The similarity prior (docs/method.md, stage 2, step 3): score mined candidates with the network.

Scoring runs in eval mode without gradient, so it costs one plain forward per face and leaves
BatchNorm statistics alone. Training and the mining-quality measurement share these functions,
so what is measured is what trains.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from rmfer.training.acl.loss import pair_similarity

Prepare = Callable[[torch.Tensor], torch.Tensor]
"""(M, 3, h, w) uint8 crops -> the network's normalised float input."""


def masked_quantile(values: torch.Tensor, mask: torch.Tensor, q: float) -> torch.Tensor:
    """Per-row q-quantile (linear interpolation) over the entries where `mask` is true.

    NaN for a row without any. One vectorised call: the prior runs at every step.
    """
    return torch.nanquantile(values.float().masked_fill(~mask, float("nan")), q, dim=1)


def prior_filter(
    pos_sim: torch.Tensor,
    pos_mask: torch.Tensor,
    neg_sim: torch.Tensor,
    neg_mask: torch.Tensor,
    rho: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Keep positives at or above the (1 - rho) quantile and negatives at or below the rho one.

    This drops co-viewers who reacted differently and repeats of the same expression by the same
    person. The best positive and the worst negative always survive, so no anchor is emptied.
    """
    if not 0.0 < rho <= 1.0:
        raise ValueError(f"rho must be in (0, 1], got {rho}")
    pos_cut = masked_quantile(pos_sim, pos_mask, 1.0 - rho).unsqueeze(1)
    neg_cut = masked_quantile(neg_sim, neg_mask, rho).unsqueeze(1)
    keep_pos = pos_mask & (pos_sim >= pos_cut)
    keep_neg = neg_mask & (neg_sim <= neg_cut)
    return keep_pos, keep_neg


@torch.no_grad()
def embed(
    net: nn.Module,
    images: torch.Tensor,
    chunk: int,
    prepare: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> torch.Tensor:
    """z = g(f) for `images` in eval mode, `chunk` at a time; the net's mode is restored.

    `prepare` (e.g. uint8 crops -> normalised input) runs per chunk, so a step's thousands of
    candidates never sit in memory at the network's input size all at once.
    """
    was_training = net.training
    net.eval()
    try:
        parts = []
        for start in range(0, len(images), chunk):
            part = images[start : start + chunk]
            parts.append(net(prepare(part) if prepare else part).embeddings.float())
    finally:
        net.train(was_training)
    return torch.cat(parts)


def candidate_similarities(
    embeddings: torch.Tensor,
    anchors: torch.Tensor,
    positives: torch.Tensor,
    negatives: torch.Tensor,
    tau: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """s(a, k) for every anchor against its positive and negative candidates.

    `anchors` (B,), `positives` (B, P), `negatives` (B, N) index rows of `embeddings`; -1 pads
    (their similarity is meaningless and must stay masked).
    """
    anchor_z = embeddings[anchors]
    pos = pair_similarity(anchor_z, embeddings[positives.clamp(min=0)], tau)
    neg = pair_similarity(anchor_z, embeddings[negatives.clamp(min=0)], tau)
    return pos, neg


def select_candidates(
    pos_sim: torch.Tensor,
    pos_mask: torch.Tensor,
    neg_sim: torch.Tensor,
    neg_mask: torch.Tensor,
    rho: float,
    by_score: bool,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The kept positives and negatives (boolean masks).

    By score (the prior, or the oracle's true similarities): the quantile filter on the given
    similarities. Otherwise (time-only mining, the ablation): the same filter on random scores,
    so the same number of candidates is kept, chosen blindly; the ablation then changes which
    pairs train, not how many.
    """
    if by_score:
        return prior_filter(pos_sim, pos_mask, neg_sim, neg_mask, rho)
    pos_random = torch.rand(pos_sim.shape, generator=generator).to(pos_sim.device)
    neg_random = torch.rand(neg_sim.shape, generator=generator).to(neg_sim.device)
    return prior_filter(pos_random, pos_mask, neg_random, neg_mask, rho)


class EmbeddingCache:
    """The prior's z per RM face, reused for up to `refresh_steps` steps (a speed lever).

    Every `refresh_steps`-th step (the first included) forgets everything; in between, a face
    already embedded since the last refresh keeps its z and only new faces are embedded, at the
    current weights. `refresh_steps = 1` is the paper's method: every face scored at every step,
    with exactly the plain `embed` call.

    `refresh_steps = None` is a memory bank (Wu et al., "Unsupervised Feature Learning via
    Non-Parametric Instance Discrimination", CVPR 2018): never forgotten, and each face that
    trains has its z from that forward pass written back (`remember`), so a face's z is as old
    as its last training step and nothing is embedded twice. A face is embedded once per run,
    when mining first draws it; after that the scoring costs nothing.
    """

    def __init__(self, refresh_steps: int | None, chunk: int, prepare: Prepare | None) -> None:
        if refresh_steps is not None and refresh_steps < 1:
            raise ValueError(f"refresh_steps must be >= 1 or None, got {refresh_steps}")
        self.refresh_steps, self.chunk, self.prepare = refresh_steps, chunk, prepare
        self.steps = 0
        self._z: torch.Tensor | None = None  # (capacity, D), rows by face id
        self._known: torch.Tensor | None = None  # (capacity,) bool

    def embed(
        self, net: nn.Module, crops: torch.Tensor, face_ids: torch.Tensor | None
    ) -> tuple[torch.Tensor, int]:
        """z of `crops` (the faces `face_ids`) and how many of them went through the net."""
        period = self.refresh_steps
        refresh = self.steps == 0 if period is None else self.steps % period == 0
        self.steps += 1
        if self.refresh_steps == 1:
            return embed(net, crops, self.chunk, self.prepare), len(crops)
        if face_ids is None:
            raise ValueError("an embedding cache needs the batch's rm_face ids")
        ids = face_ids.to(crops.device)
        self._reserve(int(ids.max()) + 1 if len(ids) else 0, crops.device, refresh)
        assert self._z is not None and self._known is not None
        missing = ~self._known[ids]
        if missing.any():
            fresh = embed(net, crops[missing], self.chunk, self.prepare)
            if self._z.shape[1] != fresh.shape[1]:
                self._z = fresh.new_zeros(len(self._known), fresh.shape[1])
            self._z[ids[missing]] = fresh
            self._known[ids[missing]] = True
        return self._z[ids], int(missing.sum())

    @property
    def is_bank(self) -> bool:
        return self.refresh_steps is None

    @torch.no_grad()
    def remember(self, face_ids: torch.Tensor, z: torch.Tensor) -> None:
        """A memory bank keeps the z that `face_ids` just trained with (detached); else nothing."""
        if not self.is_bank or self._z is None or self._known is None or not len(face_ids):
            return
        ids = face_ids.to(self._known.device)
        self._z[ids] = z.detach().to(self._z.dtype)
        self._known[ids] = True

    def state_dict(self) -> dict[str, Any]:
        """The step count and the faces embedded since the last refresh (their ids and z)."""
        if self._known is None or self._z is None:
            return {"steps": self.steps, "capacity": 0, "ids": None, "z": None}
        ids = self._known.nonzero().squeeze(1)
        return {"steps": self.steps, "capacity": len(self._known), "ids": ids, "z": self._z[ids]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.steps = int(state["steps"])
        if state["ids"] is None:
            self._known = self._z = None
            return
        self._known = torch.zeros(state["capacity"], dtype=torch.bool)
        self._z = state["z"].new_zeros(state["capacity"], state["z"].shape[1])
        self._known[state["ids"]] = True
        self._z[state["ids"]] = state["z"]

    def _reserve(self, size: int, device: torch.device, refresh: bool) -> None:
        if self._known is not None and self._z is not None and self._known.device != device:
            self._known, self._z = self._known.to(device), self._z.to(device)  # a loaded state
        if self._known is None or refresh:
            capacity = max(size, len(self._known) if self._known is not None else 0)
            self._known = torch.zeros(capacity, dtype=torch.bool, device=device)
            self._z = torch.zeros(capacity, 0, device=device)
        if size > len(self._known):
            grow = size - len(self._known)
            assert self._z is not None
            self._known = torch.cat([self._known, self._known.new_zeros(grow)])
            self._z = torch.cat([self._z, self._z.new_zeros(grow, self._z.shape[1])])
