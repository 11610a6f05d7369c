"""The `rmfer` command: `rmfer predict PATH...`, `rmfer run ...` (the project's Kedro run),
`rmfer import-weights` (third-party starting weights) and `rmfer export` (ONNX).

Kedro reads this module too, by convention: it adds the commands of `cli` to the `kedro` command
(so `kedro predict` works as well), and `python -m rmfer` runs the `run` found here, which is
Kedro's own run command, unchanged. Kedro and torch are imported only by the command that needs
them, so `rmfer --help` and every `kedro` command stay quick.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

DEFAULT_MODEL = "data/06_models/acl.pt"
DEFAULT_OUT = "data/07_model_output/predict"
DEFAULT_PARAMS = "conf/base/parameters_facetrack.yml"


def __getattr__(name: str) -> Any:
    """`run`: Kedro's run command, looked up by `find_run_command` (python -m rmfer)."""
    if name == "run":
        from kedro.framework.cli.project import run

        return run
    raise AttributeError(name)


@click.command(name="predict")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--model",
    default=DEFAULT_MODEL,
    show_default=True,
    type=click.Path(path_type=Path),
    help="A checkpoint written by the ial or acl stage, or its ONNX export (.onnx).",
)
@click.option(
    "--out",
    "out_dir",
    default=DEFAULT_OUT,
    show_default=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for the tables, plots and annotated images and videos.",
)
@click.option("--annotate", is_flag=True, help="Also write each video with boxes and labels.")
@click.option(
    "--device",
    default="auto",
    show_default=True,
    help="auto (CUDA when present, else CPU), cpu, cuda or cuda:N.",
)
@click.option(
    "--params",
    "params_file",
    default=DEFAULT_PARAMS,
    show_default=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="facetrack parameters (detector, tracking, alignment, quality) to use.",
)
@click.option("--batch-size", default=64, show_default=True, type=click.IntRange(min=1))
@click.option(
    "--min-quality",
    default="any",
    show_default=True,
    help="The worst face quality kept: any, ok (faces facetrack would train on), or flaws "
    "joined by + (small, blurry, profile, few_faces), e.g. small+profile.",
)
@click.option(
    "--smooth",
    "smooth_s",
    default=0.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="Seconds of a centred moving average of each person's probabilities (0: none); "
    "adds smooth_p_<class> columns and takes the label from them.",
)
@click.option("--no-progress", is_flag=True, help="No progress bars.")
def predict_command(
    paths: tuple[Path, ...],
    model: Path,
    out_dir: Path,
    annotate: bool,
    device: str,
    params_file: Path,
    batch_size: int,
    min_quality: str,
    smooth_s: float,
    no_progress: bool,
) -> None:
    """Facial expressions over time in images, videos and folders of them.

    Per input, in --out: <name>.csv and <name>.parquet (one row per detected face: time,
    person id, box, quality, the probability of each class, the predicted label); for a video
    <name>.timeline.png (and with --annotate <name>.annotated.mp4), for an image
    <name>.annotated.png; and summary.csv over all inputs. Exits with 1 when any input failed.
    """
    from rmfer.errors import RmferError
    from rmfer.predict import FAILED, PredictOptions, load_model, predict
    from rmfer.predict.params import read_facetrack_params
    from rmfer.predict.quality import tolerated_flaws

    try:
        tolerated_flaws(min_quality)
        params = read_facetrack_params(params_file, default=params_file == Path(DEFAULT_PARAMS))
        net = load_model(model, device)
    except RmferError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"rmfer predict: model {model} ({net.description})", err=True)
    options = PredictOptions(
        out_dir, annotate, batch_size, progress=not no_progress, min_quality=min_quality,
        smooth_s=smooth_s,
    )  # fmt: skip
    results = predict(paths, net, params, options)
    failed = [r for r in results if r.status == FAILED]
    click.echo(
        f"rmfer predict: {len(results)} inputs, {len(results) - len(failed)} done, "
        f"{len(failed)} failed; outputs in {out_dir}",
        err=True,
    )
    if failed:
        sys.exit(1)


@click.command(name="import-weights")
@click.argument("source", type=click.Path(path_type=Path))
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The state dict to write (give it as ial's pretrained_weights).",
)
@click.option(
    "--trust",
    is_flag=True,
    help="Unpickle a whole pickled model (as HSEmotion ships them): this runs code from the "
    "file, so only for files from a source you trust.",
)
@click.option(
    "--head-labels",
    default=None,
    help="The classes of the file's classifier rows, to reorder them into the canonical order: "
    "hsemotion (its alphabetical order) or names separated by commas. Default: canonical.",
)
def import_weights_command(source: Path, out: Path, trust: bool, head_labels: str | None) -> None:
    """Turn a pickled timm model or a state dict into a state dict the project loads."""
    from rmfer.deploy.import_weights import import_weights
    from rmfer.errors import RmferError

    try:
        result = import_weights(source, out, trust_pickle=trust, head_labels=head_labels)
    except RmferError as exc:
        raise click.ClickException(str(exc)) from exc
    if result.head is None:
        head = "no classifier"
    elif result.head_labels is None:
        head = f"classifier `{result.head}` (not an expression head of 7 or 8 rows)"
    else:
        head = f"classifier `{result.head}`: {', '.join(result.head_labels)}"
    click.echo(f"rmfer import-weights: {result.tensors} tensors, {head}; wrote {result.path}")


@click.command(name="export")
@click.argument("model", type=click.Path(path_type=Path))
@click.option(
    "--onnx",
    "onnx_out",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The .onnx file to write: backbone plus main classifier, any batch size.",
)
def export_command(model: Path, onnx_out: Path) -> None:
    """Export a checkpoint to ONNX for `rmfer predict --model OUT.onnx` or any ONNX runtime."""
    from rmfer.deploy.onnx_export import export_onnx
    from rmfer.errors import RmferError
    from rmfer.predict.model import read_checked_checkpoint

    if onnx_out.suffix.lower() != ".onnx":
        raise click.ClickException(
            f"--onnx {onnx_out}: name the file *.onnx (rmfer predict picks the runtime by suffix)"
        )
    try:
        path = export_onnx(read_checked_checkpoint(model), onnx_out)
    except RmferError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"rmfer export: wrote {path} (input: normalised images, output: logits)")


@click.command(
    name="run",
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    add_help_option=False,
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def run_command(args: tuple[str, ...]) -> Any:
    """Kedro's `run` for this project (options as `kedro run --help` lists them)."""
    from rmfer.__main__ import main as kedro_main

    return kedro_main(args=list(args))


@click.group(name="rmfer")
def cli() -> None:
    """Commands that Kedro adds to `kedro` (kedro predict ...)."""


cli.add_command(predict_command)


@click.group(name="rmfer")
def rmfer() -> None:
    """RMFER: facial expressions from reaction mashup videos."""


rmfer.add_command(predict_command)
rmfer.add_command(run_command)
rmfer.add_command(import_weights_command)
rmfer.add_command(export_command)


def main() -> Any:
    """The `rmfer` console script."""
    return rmfer()
