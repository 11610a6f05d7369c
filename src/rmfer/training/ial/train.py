"""Stage 1 end to end: a benchmark index and parameters in, a checkpoint and metrics out."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import pandas as pd

from rmfer.data.crop_cache import open_crop_cache
from rmfer.data.dataset import BenchmarkImages
from rmfer.data.index import validate_index
from rmfer.labels import label_names
from rmfer.models.checkpoint import make_checkpoint
from rmfer.models.network import AttentionNet, NetworkConfig, build_network, default_normalisation
from rmfer.training.distributed import launch
from rmfer.training.ial.batches import TrainBatches
from rmfer.training.ial.loss import IalLoss
from rmfer.training.ial.params import IalParams
from rmfer.training.loop import FitResult
from rmfer.training.stage import Splits, StageRun, format_metric

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


def train_ial(
    index: pd.DataFrame, params: IalParams, progress: bool = True, run_name: str = "ial"
) -> IalResult:
    """Train the attention net with L_IAL; keep the best epoch on validation; measure on test.

    `run_name` names the run in the log and its dvclive folder (`<live_dir>/<run_name>`).
    Across processes (`ial.distributed`) every rank trains its part; rank 0's result returns.
    """
    args = (index, params, progress, run_name)
    return launch(train_ial_here, args, params.distributed, run_name, params.device)


def train_ial_here(
    index: pd.DataFrame, params: IalParams, progress: bool, run_name: str
) -> IalResult:
    """`train_ial` in this process: alone, or as one rank of a distributed run."""
    with StageRun.open(run_name, params) as run:
        num_classes = validate_index(index, params.num_classes)
        splits = run.split(index)
        config = network_config(params, num_classes)
        net = build_network(
            config, params.pretrained_weights, params.init_heads_from_backbone_classifier
        ).to(run.device)
        train_tf, eval_tf = run.transforms(net.config)

        crops = open_crop_cache(index, params.image_size, params.crop_cache, params.num_workers)

        def images(rows: pd.DataFrame, transform: Any) -> BenchmarkImages:
            return BenchmarkImages(rows, transform, num_classes, params.soft_labels, crops)

        batches = TrainBatches(images(splits.train, train_tf), params, run.generator, run.pin)
        val_loader = run.eval_loader(images(splits.validation, eval_tf))
        run.prepare_optimisation(net, len(batches))
        logger.info(
            "IAL: %s at %d px on %s (%s), %d train / %d validation (%s) / %d test images, "
            "%d classes, batch %d, %d steps per epoch",
            *(params.backbone, params.image_size, run.device, run.precision.dtype or "float32"),
            *(len(splits.train), len(splits.validation), splits.mode, len(splits.test)),
            *(num_classes, batches.batch_size, len(batches)),
        )
        gather = params.distributed.gather
        loss = IalLoss(params.lambda_att, params.tau, params.soft_labels, gather)
        result = run.fit(
            net, batches, loss, val_loader, progress, LOG_KEYS, inputs={"index": index}
        )
        test = {}
        if not splits.test.empty:
            test = run.score(net, run.eval_loader(images(splits.test, eval_tf)))
    seconds = run.seconds()
    metrics = ial_metrics(index, params, num_classes, splits, result, test, seconds)
    logger.info(
        "IAL done in %.0f s: best epoch %d, test accuracy %s, mean class accuracy %s",
        seconds,
        result.best_epoch,
        format_metric(test.get("accuracy")),
        format_metric(test.get("mean_class_accuracy")),
    )
    extra = {
        "stage": "ial",
        "params": params.to_dict(),
        "best_epoch": result.best_epoch,
        "dataset": metrics["dataset"],
    }
    return IalResult(net.cpu().eval(), make_checkpoint(net, extra), metrics)


def ial_metrics(
    index: pd.DataFrame,
    params: IalParams,
    num_classes: int,
    splits: Splits,
    result: FitResult,
    test: dict[str, Any],
    seconds: float,
) -> dict[str, Any]:
    """`ial_metrics`: the test figures, how they were reached, and every epoch's history."""
    return {
        "accuracy": test.get("accuracy"),
        "mean_class_accuracy": test.get("mean_class_accuracy"),
        "dataset": "+".join(sorted(index["dataset"].unique().tolist())),
        "num_classes": num_classes,
        "backbone": params.backbone,
        "image_size": params.image_size,
        "lambda_att": params.lambda_att,
        "seed": params.seed,
        "images": splits.sizes(),
        "validation_split": splits.mode,
        "best_epoch": result.best_epoch,
        "epochs_run": len(result.history),
        "stopped_early": result.stopped_early,
        "test": test,
        "validation": result.best_validation,
        "history": result.history,
        "seconds": round(seconds, 1),
    }
