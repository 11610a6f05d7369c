"""ACL's parameters (`acl:` in conf/*/parameters_acl.yml): the shared ones, mining and the loss.

The network (backbone, image size, classes) comes from `ial_model`, so it is not a parameter here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rmfer.params import Checker
from rmfer.training.params import TrainingParams

PAIRINGS = ("prior", "time", "oracle")
BN_MODES = ("joint", "separate", "reestimate")
OBJECTIVES = ("acl", "simclr")


@dataclass(frozen=True)
class MiningQualityParams:
    """The demo-only measurement of mining against the synthetic world's sidecars."""

    truth_dir: str | None  # folder of <video_id>.parquet sidecars; null: nothing to measure
    anchors: int  # anchors drawn for the measurement (with all their candidates)
    iou: float  # a face_tracks row is the sidecar row of its frame it overlaps at least this
    seed: int


@dataclass(frozen=True)
class AclParams(TrainingParams):
    SECTION: ClassVar[str] = "acl"

    faces_dir: str  # the rm_faces folder (the catalog's path, from globals.yml)
    steps_per_epoch: int | None  # None: one pass over the labeled training split
    anchors_per_batch: int  # RM anchors per step, each with its candidates
    window_s: float  # positives: other persons within this many seconds (film clock)
    distance_s: float  # negatives: the same person more than this many seconds away
    positives: int  # positive candidates drawn per anchor
    negatives: int  # negative candidates drawn per anchor
    min_positives: int  # fewer candidates than these: the anchor is skipped and counted
    min_negatives: int
    # Which mined candidates train: prior (the method: the network's similarity keeps the rho
    # share), time (the fair ablation: a random rho share, as many pairs), oracle (the study's
    # ceiling: the rho share by the sidecars' true expression mixtures; demo world only).
    pairing: str
    rho: float  # keep positives above the (1 - rho) quantile, negatives below the rho one
    tau: float | None  # s = cos / tau; None: the ial_model's tau
    mu: float  # L = L_IAL + mu * L_ACL; 0: IAL continued (the control), no RM face is read
    objective: str  # acl: L_ACL on the mined pairs; simclr: NT-Xent on two views of the anchors
    bn_mode: str  # joint | separate | reestimate: what BatchNorm's running statistics see
    # the prior's embeddings are reused for this many steps; None: a memory bank (never
    # forgotten, each face's z replaced whenever it trains)
    embedding_refresh_steps: int | None
    # true (the paper): kept candidates train with the anchors; false: anchors only, against
    # the candidates' z from the scoring pass (no gradient), a speed lever
    candidate_gradient: bool
    rm_workers: int  # DataLoader processes assembling the RM part of a step; 0: the main process
    progress: bool
    mining_quality: MiningQualityParams

    def check(self, check: Checker) -> None:
        super().check(check)
        check.integer("mining_quality.seed", 0)
        for key in ("anchors_per_batch", "positives", "negatives", "min_positives"):
            check.integer(key, 1)
        check.integer("min_negatives", 1)
        check.integer("mining_quality.anchors", 1)
        check.integer("steps_per_epoch", 1, optional=True)
        check.integer("embedding_refresh_steps", 1, optional=True)
        check.integer("rm_workers", 0)
        check.choice("pairing", PAIRINGS)
        check.choice("bn_mode", BN_MODES)
        check.choice("objective", OBJECTIVES)
        check.require(
            self.pairing != "oracle" or bool(self.mining_quality.truth_dir),
            "pairing",
            "prior or time where acl.mining_quality.truth_dir is null (oracle reads the sidecars)",
        )
        check.require(self.min_positives <= self.positives, "min_positives", "<= acl.positives")
        check.require(self.min_negatives <= self.negatives, "min_negatives", "<= acl.negatives")
        check.number("window_s", 1e-6, 1e6)
        check.number("distance_s", 1e-6, 1e6)
        check.number("rho", 1e-6, 1.0)
        check.number("tau", 1e-3, 1e3, optional=True)
        check.number("mu", 0.0, 1e3)
        check.number("mining_quality.iou", 0.0, 1.0)
        check.flag("progress")
        check.flag("candidate_gradient")
        check.text("faces_dir")
        check.text("mining_quality.truth_dir", optional=True)
