"""The `rmfer` command: `rmfer predict PATH...` and `rmfer run ...` (the project's Kedro run).

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
    help="A checkpoint written by the ial or acl stage.",
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
@click.option("--no-progress", is_flag=True, help="No progress bars.")
def predict_command(
    paths: tuple[Path, ...],
    model: Path,
    out_dir: Path,
    annotate: bool,
    device: str,
    params_file: Path,
    batch_size: int,
    no_progress: bool,
) -> None:
    """Facial expressions over time in images, videos and folders of them.

    Per input, in --out: <name>.csv and <name>.parquet (one row per face: time, person id,
    box, the probability of each class, the predicted label); for a video <name>.timeline.png
    (and with --annotate <name>.annotated.mp4), for an image <name>.annotated.png; and
    summary.csv over all inputs. Exits with 1 when any input failed.
    """
    from rmfer.predict import FAILED, ModelError, PredictOptions, load_model, predict
    from rmfer.predict.params import ParamsError, read_facetrack_params

    try:
        params = read_facetrack_params(params_file, default=params_file == Path(DEFAULT_PARAMS))
        net = load_model(model, device)
    except (ModelError, ParamsError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"rmfer predict: model {model} ({net.net.config.backbone}, {len(net.labels)} classes) "
        f"on {net.device}",
        err=True,
    )
    options = PredictOptions(out_dir, annotate, batch_size, progress=not no_progress)
    results = predict(paths, net, params, options)
    failed = [r for r in results if r.status == FAILED]
    click.echo(
        f"rmfer predict: {len(results)} inputs, {len(results) - len(failed)} done, "
        f"{len(failed)} failed; outputs in {out_dir}",
        err=True,
    )
    if failed:
        sys.exit(1)


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


def main() -> Any:
    """The `rmfer` console script."""
    return rmfer()
