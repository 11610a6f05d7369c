"""One person id per reactor: tracks joined by where they sit and by what they look like.

A reactor in a mashup keeps a tile: between two cuts, tracks at the same place on screen that
never coexist are one person. Across cuts (a layout change moves reactors to other tiles)
places mean nothing, so clusters are joined by appearance: the colours of the aligned face and
hair (skin tone, hair, glasses, a little of the collar and the room), which travel with the
reactor from tile to tile, differ between reactors and change little with expression. Two
tracks seen in the same frame are never one person.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

DESCRIPTOR_SIZE = 48  # pixels of the context crop the descriptor is computed on


@dataclass(frozen=True)
class LinkParams:
    """Defaults and their meaning: conf/base/parameters_facetrack.yml, `facetrack.identity`."""

    context: float  # the descriptor's crop spans this many aligned-face widths
    bins: int  # levels per HSV channel of the colour histogram
    grid: int  # histogram cells per side of the crop (1: one histogram)
    place_distance: float  # same place: centres closer than this many face sizes ...
    place_similarity: float  # ... and at least this similar in appearance
    min_similarity: float  # across cuts: join clusters at least this similar


def descriptor(
    image: np.ndarray,
    alignment: np.ndarray,
    align_size: int,
    context: float,
    bins: int,
    grid: int,
) -> np.ndarray:
    """A unit vector: the HSV colour histogram of the aligned face, hair and a little of what
    surrounds them, square-rooted so that cosine similarity is the Hellinger affinity.

    `alignment` is the face's `similarity_transform` to an `align_size` crop, reused rather than
    estimated again. Aligned, so that scale and position in the tile do not matter; little
    background, because a mashup's new layout crops or stretches each reactor's picture
    differently; HSV, so that the hue of hair, skin and clothes counts more than brightness.
    """
    size = DESCRIPTOR_SIZE - DESCRIPTOR_SIZE % grid
    shrink = size / align_size / context
    centre = size / 2 * (1 - 1 / context)
    matrix = np.array([[shrink, 0, centre], [0, shrink, centre]]) @ np.vstack(
        [alignment, [0, 0, 1]]
    )
    crop = cv2.warpAffine(
        image, matrix, (size, size), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE
    )
    hsv = cv2.cvtColor(crop, cv2.COLOR_RGB2HSV_FULL)
    levels = (hsv.astype(np.uint16) * bins) >> 8  # 0 .. bins-1 per channel
    colour = (levels[..., 0] * bins + levels[..., 1]) * bins + levels[..., 2]
    cell = size // grid
    cells = colour.reshape(grid, cell, grid, cell).transpose(0, 2, 1, 3).reshape(grid * grid, -1)
    per_cell = bins**3
    offsets = np.arange(grid * grid)[:, None] * per_cell
    counts = np.bincount((cells + offsets).ravel(), minlength=grid * grid * per_cell)
    vector = np.sqrt(counts.astype(np.float32))
    return vector / max(float(np.linalg.norm(vector)), 1e-9)


@dataclass
class Fragment:
    """One track, summarised."""

    track_id: int
    segment: int  # which stretch between cuts it lies in
    steps: np.ndarray  # sampled-frame positions it is seen at, sorted
    centre: np.ndarray  # mean box centre (x, y)
    size: float  # mean box side
    descriptor: np.ndarray  # sum of its faces' descriptors (not normalised)


class _Clusters:
    """Union-find over fragments, keeping each cluster's frames and summed descriptor."""

    def __init__(self, fragments: list[Fragment]) -> None:
        self.parent = list(range(len(fragments)))
        self.steps = [set(f.steps.tolist()) for f in fragments]
        self.desc = [f.descriptor.astype(np.float64) for f in fragments]

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def can_join(self, a: int, b: int) -> bool:
        a, b = self.find(a), self.find(b)
        return a != b and self.steps[a].isdisjoint(self.steps[b])

    def join(self, a: int, b: int) -> None:
        a, b = self.find(a), self.find(b)
        if len(self.steps[a]) < len(self.steps[b]):
            a, b = b, a
        self.parent[b] = a
        self.steps[a] |= self.steps[b]
        self.desc[a] = self.desc[a] + self.desc[b]
        self.steps[b], self.desc[b] = set(), np.zeros(0)

    def similarity(self, a: int, b: int) -> float:
        da, db = self.desc[self.find(a)], self.desc[self.find(b)]
        return float(da @ db / max(np.linalg.norm(da) * np.linalg.norm(db), 1e-12))

    def roots(self) -> list[int]:
        return sorted({self.find(i) for i in range(len(self.parent))})


def link_fragments(fragments: list[Fragment], params: LinkParams) -> list[int]:
    """A person index for each fragment, 0.. in order of first appearance."""
    if not fragments:
        return []
    clusters = _Clusters(fragments)
    # 1. Same segment, same place, never together, alike enough: one reactor in one tile.
    order = sorted(range(len(fragments)), key=lambda i: int(fragments[i].steps[0]))
    for pos, i in enumerate(order):
        for j in order[pos + 1 :]:
            a, b = fragments[i], fragments[j]
            if a.segment != b.segment or not clusters.can_join(i, j):
                continue
            near = np.linalg.norm(a.centre - b.centre) < params.place_distance * max(a.size, b.size)
            if near and clusters.similarity(i, j) >= params.place_similarity:
                clusters.join(i, j)
    # 2. Across segments (and for what place could not join): most similar clusters first.
    _join_by_appearance(clusters, params.min_similarity)
    first: dict[int, int] = {}
    for i in order:
        first.setdefault(clusters.find(i), len(first))
    return [first[clusters.find(i)] for i in range(len(fragments))]


def _join_by_appearance(clusters: _Clusters, min_similarity: float) -> None:
    """Greedy average-linkage: join the most similar pair of clusters that never coexist, until
    no pair is `min_similarity` alike. Matrices, so that hundreds of tracks take milliseconds."""
    roots = clusters.roots()
    if len(roots) < 2:
        return
    steps = sorted(set().union(*(clusters.steps[r] for r in roots)))
    column = {s: k for k, s in enumerate(steps)}
    seen = np.zeros((len(roots), len(steps)), np.float32)
    for row, r in enumerate(roots):
        seen[row, [column[s] for s in clusters.steps[r]]] = 1
    desc = np.stack([clusters.desc[r] for r in roots])
    unit = desc / np.maximum(np.linalg.norm(desc, axis=1, keepdims=True), 1e-12)
    sim = unit @ unit.T
    sim[(seen @ seen.T) > 0] = -np.inf  # together in a frame (and the diagonal)
    alive = np.ones(len(roots), bool)
    while True:
        flat = int(np.argmax(sim))
        a, b = divmod(flat, len(roots))
        if not np.isfinite(sim[a, b]) or sim[a, b] < min_similarity:
            return
        clusters.join(roots[a], roots[b])
        keep, gone = (a, b) if clusters.find(roots[a]) == roots[a] else (b, a)
        roots[keep] = clusters.find(roots[keep])
        alive[gone] = False
        seen[keep] = np.maximum(seen[keep], seen[gone])
        desc[keep] += desc[gone]
        unit_keep = desc[keep] / max(float(np.linalg.norm(desc[keep])), 1e-12)
        row = unit @ unit_keep
        unit[keep] = unit_keep
        row[(seen @ seen[keep]) > 0] = -np.inf
        row[~alive] = -np.inf
        sim[keep, :], sim[:, keep] = row, row
        sim[gone, :], sim[:, gone] = -np.inf, -np.inf
