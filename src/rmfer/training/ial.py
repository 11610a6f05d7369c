"""Stage 1 end to end: a benchmark index and parameters in, a checkpoint and metrics out."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd
import torch
from torch.utils.data import DataLoader

from rmfer.data.dataset import BenchmarkImages
from rmfer.data.index import validate_index
from rmfer.data.transforms import eval_transform, train_transform
from rmfer.labels import label_names
from rmfer.models.checkpoint import make_checkpoint
from rmfer.models.network import AttentionNet, NetworkConfig, build_network, default_normalisation
from rmfer.training.evaluation import evaluate_split
from rmfer.training.loop import fit
from rmfer.training.losses import IalLoss
from rmfer.training.optim import build_optimiser, build_scheduler
from rmfer.training.params import IalParams
from rmfer.training.runtime import Precision, deterministic, resolve_device, seed_everything
from rmfer.training.sampler import labeled_loader
from rmfer.training.splits import training_splits

logger = logging.getLogger(__name__)

LOG_KEYS = (
    "accuracy",
    "mean_class_accuracy",
    "attention_accuracy",
    "attention_diagonal_mass",
    "similarity_same",
    "similarity_different",
)


@dataclass
class IalResult:
    net: AttentionNet
    checkpoint: dict[str, Any]
    metrics: dict[str, Any]


def network_config(params: IalParams, num_classes: int) -> NetworkConfig:
    mean, std = default_normalisation(params.backbone)
    return NetworkConfig(
        backbone=params.backbone,
        num_classes=num_classes,
        image_size=params.image_size,
        label_names=label_names(num_classes),
        mean=mean,
        std=std,
        tau=params.tau,
        drop_rate=params.drop_rate,
    )


class TrainBatches:
    """Each epoch's training batches: class-balanced (the default) or shuffled."""

    def __init__(
        self, data: BenchmarkImages, params: IalParams, generator: torch.Generator, pin: bool
    ) -> None:
        self.loader, self.sampler, self.batch_size = labeled_loader(
            data,
            data.labels,
            params.batch_size,
            params.balanced_sampler,
            params.samples_per_class,
            params.seed,
            generator,
            params.num_workers,
            pin,
        )

    def __len__(self) -> int:
        return len(self.loader)

    def __call__(self, epoch: int) -> Iterable[Any]:
        if self.sampler is not None:
            self.sampler.set_epoch(epoch)
        return self.loader


def _eval_loader(data: BenchmarkImages, params: IalParams, pin: bool) -> DataLoader:
    return DataLoader(
        data, batch_size=params.eval_batch_size, num_workers=params.num_workers, pin_memory=pin
    )


def train_ial(index: pd.DataFrame, params: IalParams, progress: bool = True) -> IalResult:
    """Train the attention net with L_IAL; keep the best epoch on validation; measure on test."""
    device = resolve_device(params.device)
    if params.threads and device.type == "cpu":
        torch.set_num_threads(params.threads)
    started = time.perf_counter()
    with deterministic(device.type == "cpu"):
        generator = seed_everything(params.seed)
        num_classes = validate_index(index, params.num_classes)
        train_rows, val_rows, test_rows, validation_mode = training_splits(
            index, params.validation_split, params.validation_fraction, params.seed
        )
        net = build_network(network_config(params, num_classes), params.pretrained_weights).to(
            device
        )
        config = net.config
        train_tf = train_transform(config.image_size, config.mean, config.std, params.augmentation)
        eval_tf = eval_transform(config.image_size, config.mean, config.std)
        pin = device.type == "cuda"

        def images(rows: pd.DataFrame, transform: Any) -> BenchmarkImages:
            return BenchmarkImages(rows, transform, num_classes, params.soft_labels)

        batches = TrainBatches(images(train_rows, train_tf), params, generator, pin)
        val_loader = _eval_loader(images(val_rows, eval_tf), params, pin)
        optimiser = build_optimiser(
            net, params.optimiser, params.lr, params.weight_decay, params.sam_base, params.sam_rho
        )
        steps = len(batches)
        scheduler = build_scheduler(
            optimiser, params.scheduler, params.epochs * steps, round(params.warmup_epochs * steps)
        )
        precision = Precision.choose(device, params.amp, params.optimiser == "sam")
        logger.info(
            "IAL: %s at %d px on %s (%s), %d train / %d validation (%s) / %d test images, "
            "%d classes, batch %d, %d steps per epoch",
            params.backbone,
            params.image_size,
            device,
            precision.dtype or "float32",
            len(train_rows),
            len(val_rows),
            validation_mode,
            len(test_rows),
            num_classes,
            batches.batch_size,
            steps,
        )

        def evaluate(model: torch.nn.Module) -> dict[str, Any]:
            return evaluate_split(
                model,
                val_loader,
                device,
                precision,
                params.tau,
                params.max_attention_samples,
                params.seed,
            )

        result = fit(
            net,
            batches=batches,
            loss_fn=IalLoss(params.lambda_att, params.tau, params.soft_labels),
            optimiser=optimiser,
            evaluate=evaluate,
            epochs=params.epochs,
            device=device,
            precision=precision,
            monitor=params.best_metric,
            patience=params.early_stopping_patience,
            scheduler=scheduler,
            grad_clip=params.grad_clip,
            progress=progress,
            name="ial",
            log_keys=LOG_KEYS,
        )
        net.load_state_dict(result.best_state)
        test = {}
        if not test_rows.empty:
            test_loader = _eval_loader(images(test_rows, eval_tf), params, pin)
            test = evaluate_split(
                net,
                test_loader,
                device,
                precision,
                params.tau,
                params.max_attention_samples,
                params.seed,
            )
    seconds = time.perf_counter() - started
    datasets = sorted(index["dataset"].unique().tolist())
    metrics = {
        "accuracy": test.get("accuracy"),
        "mean_class_accuracy": test.get("mean_class_accuracy"),
        "dataset": "+".join(datasets),
        "num_classes": num_classes,
        "backbone": params.backbone,
        "image_size": params.image_size,
        "lambda_att": params.lambda_att,
        "seed": params.seed,
        "images": {"train": len(train_rows), "validation": len(val_rows), "test": len(test_rows)},
        "validation_split": validation_mode,
        "best_epoch": result.best_epoch,
        "epochs_run": len(result.history),
        "stopped_early": result.stopped_early,
        "test": test,
        "validation": result.best_validation,
        "history": result.history,
        "seconds": round(seconds, 1),
    }
    logger.info(
        "IAL done in %.0f s: best epoch %d, test accuracy %s, mean class accuracy %s",
        seconds,
        result.best_epoch,
        _fmt(test.get("accuracy")),
        _fmt(test.get("mean_class_accuracy")),
    )
    extra = {
        "stage": "ial",
        "params": params.to_dict(),
        "best_epoch": result.best_epoch,
        "dataset": metrics["dataset"],
    }
    return IalResult(net.cpu().eval(), make_checkpoint(net, extra), metrics)


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"
