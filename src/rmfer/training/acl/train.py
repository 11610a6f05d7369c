"""Stage 2 end to end: face tracks, their crops, the benchmark and the IAL weights in; a
checkpoint in `ial_model`'s format and metrics out."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch.utils.data import DataLoader

from rmfer.data.crop_cache import open_crop_cache
from rmfer.data.dataset import BenchmarkImages
from rmfer.data.index import validate_index
from rmfer.data.rm_faces import RMFaces
from rmfer.data.rm_sampler import RMSampler
from rmfer.data.transforms import train_transform
from rmfer.errors import ParameterError
from rmfer.models.batchnorm import reestimate_running_stats
from rmfer.models.checkpoint import load_network, make_checkpoint
from rmfer.models.network import AttentionNet, NetworkConfig
from rmfer.training.acl.batches import AclBatches, LabeledStream, crop_transform, open_rm_faces
from rmfer.training.acl.objective import AclObjective, IalContinued
from rmfer.training.acl.params import AclParams
from rmfer.training.acl.quality import oracle_mixtures
from rmfer.training.acl.simclr import SimclrObjective
from rmfer.training.distributed import launch, rank_share, world_size
from rmfer.training.loop import FitResult, LossFn
from rmfer.training.stage import Splits, StageRun, format_metric

logger = logging.getLogger(__name__)

LOG_KEYS = ("accuracy", "mean_class_accuracy", "attention_diagonal_mass")
SUMMARY_KEYS = ("accuracy", "mean_class_accuracy", "per_class_recall")
PER_STEP_KEYS = ("kept_positives", "kept_negatives", "rm_faces_scored", "rm_faces_trained")


@dataclass
class AclResult:
    net: AttentionNet
    checkpoint: dict[str, Any]
    metrics: dict[str, Any]


def train_acl(
    face_tracks: pd.DataFrame | None,
    index: pd.DataFrame,
    ial_checkpoint: dict[str, Any],
    params: AclParams,
    run_name: str = "acl",
) -> AclResult:
    """Fine-tune the IAL net with L_IAL + mu * L_ACL; keep the best epoch; measure on test.

    With `mu = 0` (the control, IAL continued) `face_tracks` is not read and may be None.
    `run_name` names the run's dvclive folder (`<live_dir>/<run_name>`): acl, control.
    Across processes (`acl.distributed`) every rank trains its part; rank 0's result returns.
    """
    args = (face_tracks, index, ial_checkpoint, params, run_name)
    return launch(train_acl_here, args, params.distributed, run_name, params.device)


def train_acl_here(
    face_tracks: pd.DataFrame | None,
    index: pd.DataFrame,
    ial_checkpoint: dict[str, Any],
    params: AclParams,
    run_name: str,
) -> AclResult:
    """`train_acl` in this process: alone, or as one rank of a distributed run."""
    with StageRun.open(run_name, params) as run:
        net = load_network(ial_checkpoint, run.device)
        tau = params.tau if params.tau is not None else net.config.tau
        net.config = config = dataclasses.replace(net.config, tau=tau)
        num_classes = validate_index(index, len(config.label_names))
        splits = run.split(index)
        rm = open_rm_faces(face_tracks, params) if uses_rm_faces(params) else None
        faces, sampler = (rm[0], rm[1]) if rm is not None else (None, None)
        train_tf, eval_tf = run.transforms(config)
        crops = open_crop_cache(index, config.image_size, params.crop_cache, params.num_workers)

        def images(rows: pd.DataFrame, transform: Any) -> BenchmarkImages:
            return BenchmarkImages(rows, transform, num_classes, crops=crops)

        labeled = LabeledStream(
            images(splits.train, train_tf),
            batch_size=params.batch_size,
            balanced=params.balanced_sampler,
            samples_per_class=params.samples_per_class,
            seed=params.seed,
            num_workers=params.num_workers,
            pin=run.pin,
        )
        steps = params.steps_per_epoch or len(labeled)
        batches = AclBatches(
            labeled,
            sampler,
            faces,
            rank_share(params.anchors_per_batch, "acl.anchors_per_batch"),
            steps,
            params.seed,
            anchors_only=params.objective == "simclr",
            workers=params.rm_workers,
            pin=run.pin,
        )
        val_loader = run.eval_loader(images(splits.validation, eval_tf))
        test_loader = None
        if not splits.test.empty:
            test_loader = run.eval_loader(images(splits.test, eval_tf))
        run.prepare_optimisation(net, steps)
        objective = make_objective(params, config, faces)
        start = run.score(net, test_loader) if test_loader is not None else {}
        _log_start(
            params, run.device, ial_checkpoint, config, splits, labeled.batch_size, steps, start
        )
        settle = None
        if params.bn_mode == "reestimate":
            train_images = run.eval_loader(images(splits.train, eval_tf))
            settle = batch_norm_reestimation(train_images, run.device)
        inputs = {"index": index, "ial_model": ial_checkpoint, "face_tracks": face_tracks}
        result = run.fit(
            net, batches, objective, val_loader, params.progress, LOG_KEYS, settle, inputs
        )
        batches.close()
        test = run.score(net, test_loader) if test_loader is not None else {}
    seconds = run.seconds()
    about = run_about(params, index, num_classes, config)
    mining = mining_figures(*rm, result) if rm is not None else {"rm_faces_read": False}
    metrics = acl_metrics(about, splits, steps, result, start, test, seconds, mining)
    _log_done(seconds, result, start, test, sampler)
    extra = {
        "stage": "acl",
        "params": params.to_dict(),
        "best_epoch": result.best_epoch,
        "dataset": metrics["dataset"],
        "ial": dict(ial_checkpoint.get("extra", {}).get("params", {})),
    }
    return AclResult(net.cpu().eval(), make_checkpoint(net, extra), metrics)


def run_about(
    params: AclParams, index: pd.DataFrame, num_classes: int, config: NetworkConfig
) -> dict[str, Any]:
    """What the run was, for acl_metrics: the data, the net and ACL's choices."""
    return {
        "dataset": "+".join(sorted(index["dataset"].unique().tolist())),
        "num_classes": num_classes,
        "backbone": config.backbone,
        "image_size": config.image_size,
        "seed": params.seed,
        "pairing": params.pairing,
        "objective": params.objective,
        "bn_mode": params.bn_mode,
        "embedding_refresh_steps": params.embedding_refresh_steps,
        "candidate_gradient": params.candidate_gradient,
        "rho": params.rho,
        "tau": config.tau,
        "mu": params.mu,
        "window_s": params.window_s,
        "distance_s": params.distance_s,
    }


def uses_rm_faces(params: AclParams) -> bool:
    """mu = 0 is the control, IAL continued: it draws and reads no RM face."""
    return params.mu > 0


def make_objective(
    params: AclParams, config: NetworkConfig, faces: RMFaces | None = None
) -> LossFn:
    """The step's loss at the net's tau: IalContinued (mu = 0), AclObjective or SimclrObjective.

    RM faces get the augmentation's flip only under ACL; SimCLR's two views get all of it.
    Oracle pairing reads the sidecars' true mixtures of `faces` (the study only).
    """
    gather = params.distributed.gather
    if not uses_rm_faces(params):
        return IalContinued(lambda_att=params.lambda_att, tau=config.tau, gather=gather)
    if params.objective == "simclr":
        if gather and params.anchors_per_batch % world_size():
            raise ParameterError(
                f"acl.anchors_per_batch = {params.anchors_per_batch} is not a multiple of the "
                f"{world_size()} processes: SimCLR's gathered negatives (lightly's NT-Xent) need "
                "equal parts; change it, or set acl.distributed.gather: false"
            )
        augment = train_transform(config.image_size, config.mean, config.std, params.augmentation)
        return SimclrObjective(
            augment,
            lambda_att=params.lambda_att,
            tau=config.tau,
            mu=params.mu,
            bn_mode=params.bn_mode,
            gather=gather,
        )
    truth = None
    if params.pairing == "oracle":
        if faces is None:
            raise ValueError("oracle pairing needs the RM faces")
        truth = oracle_mixtures(faces.tracks, params)
    return AclObjective(
        crop_transform(config),
        lambda_att=params.lambda_att,
        tau=config.tau,
        mu=params.mu,
        rho=params.rho,
        pairing=params.pairing,
        bn_mode=params.bn_mode,
        flip=params.augmentation.flip,
        chunk=params.eval_batch_size,
        seed=params.seed,
        refresh_steps=params.embedding_refresh_steps,
        truth=truth,
        gather=gather,
        candidate_gradient=params.candidate_gradient,
    )


def batch_norm_reestimation(
    images: DataLoader, device: torch.device
) -> Callable[[torch.nn.Module], None]:
    """`bn_mode: reestimate`: before each validation, BatchNorm's running statistics become
    the cumulative average over the labeled train split (evaluation transform, no gradient), so
    the net scored, kept and tested normalises by labeled images only."""

    def reestimate(net: torch.nn.Module) -> None:
        reestimate_running_stats(
            net, (batch["image"] for batch in images), lambda x: net(x.to(device))
        )

    return reestimate


def _log_start(
    params: AclParams,
    device: torch.device,
    ial_checkpoint: dict[str, Any],
    config: NetworkConfig,
    splits: Splits,
    labeled_batch: int,
    steps: int,
    start: dict[str, Any],
) -> None:
    logger.info(
        "ACL: from %s (%s at %d px) on %s, %d train / %d validation (%s) / %d test images; "
        "per step %d labeled images and %d anchors with %d + %d candidates (objective %s, "
        "pairing %s, rho %.2f, mu %g, BatchNorm %s), %d steps per epoch; IAL's test accuracy %s",
        ial_checkpoint.get("extra", {}).get("stage", "checkpoint"),
        config.backbone,
        config.image_size,
        device,
        *(len(splits.train), len(splits.validation), splits.mode, len(splits.test)),
        *(labeled_batch, params.anchors_per_batch, params.positives, params.negatives),
        *(params.objective, params.pairing, params.rho, params.mu, params.bn_mode),
        steps,
        format_metric(start.get("accuracy")),
    )


def _log_done(
    seconds: float,
    result: FitResult,
    start: dict[str, Any],
    test: dict[str, Any],
    sampler: RMSampler | None,
) -> None:
    mining = ""
    if sampler is not None:
        stats = sampler.stats
        mining = f"; {stats.used} anchors used, {stats.drawn - stats.used} skipped"
    logger.info(
        "ACL done in %.0f s: best epoch %d, test accuracy %s (IAL %s), mean class accuracy %s "
        "(IAL %s)%s",
        seconds,
        result.best_epoch,
        format_metric(test.get("accuracy")),
        format_metric(start.get("accuracy")),
        format_metric(test.get("mean_class_accuracy")),
        format_metric(start.get("mean_class_accuracy")),
        mining,
    )


def mining_figures(
    faces: RMFaces, sampler: RMSampler, coverage: pd.DataFrame, result: FitResult
) -> dict[str, Any]:
    """What mining drew, used and skipped, per video, and what each step kept on average."""
    return {
        **sampler.stats.as_dict(),
        "faces": len(faces),
        "usable_anchor_faces": int(sampler.usable.sum()),
        "shards": faces.problems.as_dict(),
        "per_video": coverage.to_dict("records"),
        "mean_per_step": {
            key: round(float(np.mean([h[f"train_{key}"] for h in result.history])), 4)
            for key in PER_STEP_KEYS
            if f"train_{key}" in result.history[0]  # SimCLR keeps no pairs
        },
    }


def acl_metrics(
    about: dict[str, Any],
    splits: Splits,
    steps: int,
    result: FitResult,
    start: dict[str, Any],
    test: dict[str, Any],
    seconds: float,
    mining: dict[str, Any],
) -> dict[str, Any]:
    """`acl_metrics`: the test figures beside IAL's, what the run was (`about`), mining's
    figures and every epoch's history."""
    return {
        "accuracy": test.get("accuracy"),
        "mean_class_accuracy": test.get("mean_class_accuracy"),
        "per_class_recall": test.get("per_class_recall"),
        "ial_test": {k: start[k] for k in SUMMARY_KEYS if k in start},
        **about,
        "images": splits.sizes(),
        "validation_split": splits.mode,
        "steps_per_epoch": steps,
        "best_epoch": result.best_epoch,
        "epochs_run": len(result.history),
        "stopped_early": result.stopped_early,
        "seconds": round(seconds, 1),
        "mining": mining,
        "test": test,
        "validation": result.best_validation,
        "history": result.history,
    }
