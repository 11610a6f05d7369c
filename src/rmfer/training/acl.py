"""Stage 2 end to end: face tracks, their crops, the benchmark and the IAL weights in; a
checkpoint in `ial_model`'s format and metrics out. Also the demo-only mining measurement."""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch.utils.data import DataLoader

from rmfer.data.dataset import BenchmarkImages
from rmfer.data.index import validate_index
from rmfer.data.rm_faces import RMFaces
from rmfer.data.rm_sampler import RMSampler
from rmfer.data.transforms import eval_transform, train_transform
from rmfer.models.checkpoint import load_network, make_checkpoint
from rmfer.models.network import AttentionNet, NetworkConfig
from rmfer.training.acl_batches import AclBatches, LabeledStream
from rmfer.training.acl_objective import AclLoss
from rmfer.training.acl_params import AclParams
from rmfer.training.acl_quality import (
    find_sidecars,
    measure_mining,
    network_embedder,
    sidecar_expressions,
)
from rmfer.training.evaluation import evaluate_split
from rmfer.training.loop import fit
from rmfer.training.optim import build_optimiser, build_scheduler
from rmfer.training.runtime import Precision, deterministic, resolve_device, seed_everything
from rmfer.training.splits import training_splits

logger = logging.getLogger(__name__)

LOG_KEYS = ("accuracy", "mean_class_accuracy", "attention_diagonal_mass")
SUMMARY_KEYS = ("accuracy", "mean_class_accuracy", "per_class_recall")


@dataclass
class AclResult:
    net: AttentionNet
    checkpoint: dict[str, Any]
    metrics: dict[str, Any]


def crop_transform(config: NetworkConfig) -> Any:
    """RM crops (a uint8 batch, any size) -> the network's input, as benchmark images get it."""
    return eval_transform(config.image_size, config.mean, config.std)


def make_sampler(params: AclParams) -> RMSampler:
    return RMSampler(
        window_s=params.window_s,
        distance_s=params.distance_s,
        positives=params.positives,
        negatives=params.negatives,
        min_positives=params.min_positives,
        min_negatives=params.min_negatives,
    )


def open_rm_faces(
    face_tracks: pd.DataFrame, params: AclParams
) -> tuple[RMFaces, RMSampler, pd.DataFrame]:
    """The readable crops, the sampler over them, and what each video offers (logged).

    Videos that give no anchor (a single person, tracks shorter than distance_s) are named and
    left to serve nothing; the sampler raises when no video gives any.
    """
    faces = RMFaces(face_tracks, params.faces_dir)
    sampler = make_sampler(params).fit(faces.tracks)
    coverage = sampler.coverage()
    for row in coverage.itertuples(index=False):
        if row.usable_anchors == 0:
            logger.warning("ACL: video %s gives no anchor: %s", row.video_id, row.reason)
    usable = int(coverage["usable_anchors"].sum())
    logger.info(
        "ACL: %d faces in %d videos, %d can be anchors (window %.2f s, distance %.2f s)",
        len(faces),
        len(coverage),
        usable,
        params.window_s,
        params.distance_s,
    )
    if usable == 0:
        sampler.draw(np.random.default_rng(0), 1)  # raises, naming each video's problem
    return faces, sampler, coverage


def _loader(data: BenchmarkImages, params: AclParams, pin: bool) -> DataLoader:
    return DataLoader(
        data, batch_size=params.eval_batch_size, num_workers=params.num_workers, pin_memory=pin
    )


def train_acl(
    face_tracks: pd.DataFrame,
    index: pd.DataFrame,
    ial_checkpoint: dict[str, Any],
    params: AclParams,
) -> AclResult:
    """Fine-tune the IAL net with L_IAL + mu * L_ACL; keep the best epoch; measure on test."""
    device = resolve_device(params.device)
    if params.threads and device.type == "cpu":
        torch.set_num_threads(params.threads)
    started = time.perf_counter()
    with deterministic(device.type == "cpu"):
        seed_everything(params.seed)
        net = load_network(ial_checkpoint, device)
        tau = params.tau if params.tau is not None else net.config.tau
        net.config = dataclasses.replace(net.config, tau=tau)
        config = net.config
        num_classes = validate_index(index, len(config.label_names))
        train_rows, val_rows, test_rows, validation_mode = training_splits(
            index, params.validation_split, params.validation_fraction, params.seed
        )
        faces, sampler, coverage = open_rm_faces(face_tracks, params)
        pin = device.type == "cuda"
        train_tf = train_transform(config.image_size, config.mean, config.std, params.augmentation)
        eval_tf = eval_transform(config.image_size, config.mean, config.std)
        labeled = LabeledStream(
            BenchmarkImages(train_rows, train_tf, num_classes),
            params.batch_size,
            params.balanced_sampler,
            params.samples_per_class,
            params.seed,
            params.num_workers,
            pin,
        )
        steps = params.steps_per_epoch or len(labeled)
        batches = AclBatches(labeled, sampler, faces, params.anchors_per_batch, steps, params.seed)
        val_loader = _loader(BenchmarkImages(val_rows, eval_tf, num_classes), params, pin)
        test_loader = (
            _loader(BenchmarkImages(test_rows, eval_tf, num_classes), params, pin)
            if not test_rows.empty
            else None
        )
        optimiser = build_optimiser(
            net, params.optimiser, params.lr, params.weight_decay, params.sam_base, params.sam_rho
        )
        scheduler = build_scheduler(
            optimiser, params.scheduler, params.epochs * steps, round(params.warmup_epochs * steps)
        )
        precision = Precision.choose(device, params.amp, params.optimiser == "sam")
        loss = AclLoss(
            crop_transform(config),
            lambda_att=params.lambda_att,
            tau=tau,
            mu=params.mu,
            rho=params.rho,
            prior=params.prior,
            flip=params.augmentation.flip,
            chunk=params.eval_batch_size,
            seed=params.seed,
        )

        def evaluate(model: torch.nn.Module, loader: DataLoader = val_loader) -> dict[str, Any]:
            return evaluate_split(
                model,
                loader,
                device,
                precision,
                tau,
                params.max_attention_samples,
                params.seed,
            )

        start = evaluate(net, test_loader) if test_loader is not None else {}
        logger.info(
            "ACL: from %s (%s at %d px) on %s, %d train / %d validation (%s) / %d test images; "
            "per step %d labeled images and %d anchors with %d + %d candidates (prior %s, "
            "rho %.2f), %d steps per epoch; IAL's test accuracy %s",
            ial_checkpoint.get("extra", {}).get("stage", "checkpoint"),
            config.backbone,
            config.image_size,
            device,
            len(train_rows),
            len(val_rows),
            validation_mode,
            len(test_rows),
            labeled.batch_size,
            params.anchors_per_batch,
            params.positives,
            params.negatives,
            "on" if params.prior else "off",
            params.rho,
            steps,
            _fmt(start.get("accuracy")),
        )
        result = fit(
            net,
            batches=batches,
            loss_fn=loss,
            optimiser=optimiser,
            evaluate=evaluate,
            epochs=params.epochs,
            device=device,
            precision=precision,
            monitor=params.best_metric,
            patience=params.early_stopping_patience,
            scheduler=scheduler,
            grad_clip=params.grad_clip,
            progress=params.progress,
            name="acl",
            log_keys=LOG_KEYS,
        )
        net.load_state_dict(result.best_state)
        test = evaluate(net, test_loader) if test_loader is not None else {}
    seconds = time.perf_counter() - started
    mining = {
        **sampler.stats.as_dict(),
        "faces": len(faces),
        "usable_anchor_faces": int(sampler.usable.sum()),
        "shards": faces.problems.as_dict(),
        "per_video": coverage.to_dict("records"),
        "mean_per_step": {
            key: round(float(np.mean([h[f"train_{key}"] for h in result.history])), 4)
            for key in ("kept_positives", "kept_negatives", "rm_faces_scored", "rm_faces_trained")
        },
    }
    metrics = {
        "accuracy": test.get("accuracy"),
        "mean_class_accuracy": test.get("mean_class_accuracy"),
        "per_class_recall": test.get("per_class_recall"),
        "ial_test": {k: start[k] for k in SUMMARY_KEYS if k in start},
        "dataset": "+".join(sorted(index["dataset"].unique().tolist())),
        "num_classes": num_classes,
        "backbone": config.backbone,
        "image_size": config.image_size,
        "seed": params.seed,
        "prior": params.prior,
        "rho": params.rho,
        "tau": tau,
        "mu": params.mu,
        "window_s": params.window_s,
        "distance_s": params.distance_s,
        "images": {"train": len(train_rows), "validation": len(val_rows), "test": len(test_rows)},
        "validation_split": validation_mode,
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
    logger.info(
        "ACL done in %.0f s: best epoch %d, test accuracy %s (IAL %s), mean class accuracy %s "
        "(IAL %s); %d anchors used, %d skipped",
        seconds,
        result.best_epoch,
        _fmt(test.get("accuracy")),
        _fmt(start.get("accuracy")),
        _fmt(test.get("mean_class_accuracy")),
        _fmt(start.get("mean_class_accuracy")),
        sampler.stats.used,
        sampler.stats.drawn - sampler.stats.used,
    )
    extra = {
        "stage": "acl",
        "params": params.to_dict(),
        "best_epoch": result.best_epoch,
        "dataset": metrics["dataset"],
        "ial": dict(ial_checkpoint.get("extra", {}).get("params", {})),
    }
    return AclResult(net.cpu().eval(), make_checkpoint(net, extra), metrics)


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
    device = resolve_device(params.device)
    if params.threads and device.type == "cpu":
        torch.set_num_threads(params.threads)
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


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"
