"""kedro-datasets' classes saved atomically: the same bytes as kedro-datasets writes, and a save
that fails or is killed halfway leaves the previous file, never half of a new one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
import pytest
from kedro.config import OmegaConfigLoader
from kedro.io.core import DatasetError, Version
from kedro_datasets.json import JSONDataset
from kedro_datasets.matplotlib import MatplotlibDataset
from kedro_datasets.pandas import CSVDataset, ParquetDataset
from kedro_datasets.partitions import PartitionedDataset
from kedro_datasets.text import TextDataset

from rmfer.faults import VARIABLE
from rmfer.files import partial_path
from rmfer.kedro_datasets import atomic
from rmfer.settings import CONFIG_LOADER_ARGS
from tests.conftest import PROJECT_ROOT

matplotlib.use("Agg")
import matplotlib.pyplot as plt


class Unwritable:
    """A value that fails once the writer reaches it, after it has written what came before."""

    def __str__(self) -> str:
        raise ValueError("this value cannot be written")

    __repr__ = __str__


def _table(rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(rows)
    return pd.DataFrame(
        {
            "frame": np.arange(rows),
            "score": rng.random(rows),
            "who": [f"p{i % 7}" for i in range(rows)],
        }
    )


def _figure() -> Any:
    figure, axes = plt.subplots(figsize=(2, 2))
    axes.plot([0, 1, 2], [2, 0, 1])
    return figure


# (kedro-datasets class, its atomic twin, file name, arguments, data) as the catalog uses them
CASES = [
    (CSVDataset, atomic.CSVDataset, "t.csv", {"save_args": {"index": False}}, _table(50)),
    (ParquetDataset, atomic.ParquetDataset, "t.parquet", {}, _table(50)),
    (JSONDataset, atomic.JSONDataset, "r.json", {"save_args": {"indent": 1}}, {"a": [1, 2.5]}),
    (TextDataset, atomic.TextDataset, "report.md", {}, "# Report\n\n| a | b |\n"),
    (MatplotlibDataset, atomic.MatplotlibDataset, "f.png", {"save_args": {"dpi": 50}}, None),
]


@pytest.mark.parametrize("case", CASES, ids=[case[2] for case in CASES])
def test_the_same_bytes_arguments_and_load_as_kedro_datasets(tmp_path: Path, case):
    theirs_type, ours_type, name, args, data = case
    data = _figure() if data is None else data
    theirs = theirs_type(filepath=str(tmp_path / "theirs" / name), **args)
    ours = ours_type(filepath=str(tmp_path / "ours" / name), **args)

    theirs.save(data)
    ours.save(data)

    assert (tmp_path / "ours" / name).read_bytes() == (tmp_path / "theirs" / name).read_bytes()
    assert sorted(os.listdir(tmp_path / "ours")) == [name]  # no temporary left
    theirs_config, ours_config = theirs._init_config(), ours._init_config()
    assert ours_config.pop("type") == f"rmfer.kedro_datasets.atomic.{theirs_type.__name__}"
    theirs_config.pop("type")
    assert ours_config == {**theirs_config, "filepath": str(tmp_path / "ours" / name)}
    if isinstance(data, pd.DataFrame):
        pd.testing.assert_frame_equal(ours.load(), theirs.load())
    elif not isinstance(ours, MatplotlibDataset):
        assert ours.load() == theirs.load() == data


def test_a_folder_of_figures_and_a_partitioned_folder_of_tables(tmp_path: Path):
    figures = {"a.png": _figure(), "b.png": _figure()}
    MatplotlibDataset(filepath=str(tmp_path / "theirs"), overwrite=True).save(figures)
    atomic.MatplotlibDataset(filepath=str(tmp_path / "ours"), overwrite=True).save(figures)
    for name in figures:
        assert (tmp_path / "ours" / name).read_bytes() == (tmp_path / "theirs" / name).read_bytes()
    assert sorted(os.listdir(tmp_path / "ours")) == ["a.png", "b.png"]

    plots = PartitionedDataset(
        path=str(tmp_path / "plots"),
        dataset={"type": "rmfer.kedro_datasets.atomic.CSVDataset", "save_args": {"index": False}},
        filename_suffix=".csv",
        overwrite=True,
    )
    plots.save({"ial": _table(3), "acl": _table(4)})
    loaded = {name: load() for name, load in plots.load().items()}
    assert {name: len(frame) for name, frame in loaded.items()} == {"ial": 3, "acl": 4}
    assert sorted(os.listdir(tmp_path / "plots")) == ["acl.csv", "ial.csv"]


def _parquet_cut_short(frame: pd.DataFrame, path: Any, **kwargs: Any) -> None:
    """DataFrame.to_parquet that writes half the file, then meets a full disk."""
    whole = frame.to_parquet(None, **kwargs)
    path.write(whole[: len(whole) // 2])
    raise OSError(28, "No space left on device")


def test_a_versioned_save_lands_where_kedro_datasets_puts_it(tmp_path: Path):
    dataset = atomic.ParquetDataset(
        filepath=str(tmp_path / "t.parquet"), version=Version(None, "2026-01-01T00.00.00.000Z")
    )
    dataset.save(_table(3))
    written = tmp_path / "t.parquet" / "2026-01-01T00.00.00.000Z" / "t.parquet"
    assert sorted(os.listdir(written.parent)) == ["t.parquet"]
    pd.testing.assert_frame_equal(pd.read_parquet(written), _table(3))
    pd.testing.assert_frame_equal(dataset.load(), _table(3))


def _new_data_that_fails(name: str, monkeypatch) -> Any:
    """Data whose save fails after part of the file is written."""
    if name == "t.csv":  # pandas writes the first chunks, then meets the last row
        new = _table(60_000).astype({"who": object})
        new.loc[len(new) - 1, "who"] = Unwritable()
        return new
    if name == "r.json":  # json.dump streams the list, then meets the last key
        return {"rows": list(range(100_000)), "last": Unwritable()}
    monkeypatch.setattr(pd.DataFrame, "to_parquet", _parquet_cut_short)
    return _table(20_000)


@pytest.mark.parametrize("name", ["t.csv", "r.json", "t.parquet"])
def test_a_save_that_fails_halfway_keeps_the_previous_file(tmp_path: Path, monkeypatch, name):
    theirs_type, ours_type, _, args, _ = next(case for case in CASES if case[2] == name)
    old = {"rows": [1, 2]} if name == "r.json" else _table(5)
    theirs = theirs_type(filepath=str(tmp_path / "theirs" / name), **args)
    ours = ours_type(filepath=str(tmp_path / "ours" / name), **args)
    theirs.save(old)
    ours.save(old)
    before = (tmp_path / "ours" / name).read_bytes()
    new = _new_data_that_fails(name, monkeypatch)

    for dataset in (theirs, ours):
        with pytest.raises(DatasetError):
            dataset.save(new)

    assert (tmp_path / "theirs" / name).read_bytes() != before  # in place: the old file is gone
    assert (tmp_path / "ours" / name).read_bytes() == before
    assert sorted(os.listdir(tmp_path / "ours")) == [name]
    monkeypatch.undo()
    if name == "r.json":
        assert ours.load() == old
    else:
        pd.testing.assert_frame_equal(ours.load(), old)


def test_remote_storage_is_refused_before_anything_is_written():
    dataset = atomic.CSVDataset(filepath="memory://bucket/t.csv")
    with pytest.raises(DatasetError, match="local files only"):
        dataset.save(_table(2))
    assert not dataset.exists()


def _child_save(dataset: str, target: Path, rows: int, env: dict[str, str]) -> subprocess.Popen:
    """A process that saves a `rows`-row table to `target` with `dataset` (module.Class)."""
    module, _, name = dataset.rpartition(".")
    code = (
        "import sys, numpy as np, pandas as pd\n"
        f"from {module} import {name}\n"
        "rows = int(sys.argv[2])\n"
        "frame = pd.DataFrame({'frame': np.arange(rows), 'score': np.random.default_rng(0)"
        ".random(rows)})\n"
        f"{name}(filepath=sys.argv[1], save_args={{'index': False}}).save(frame)\n"
    )
    return subprocess.Popen([sys.executable, "-c", code, str(target), str(rows)], env=env)


def test_a_process_killed_between_write_and_rename_leaves_the_previous_file(tmp_path: Path):
    target = tmp_path / "face_tracks.csv"
    dataset = atomic.CSVDataset(filepath=str(target), save_args={"index": False})
    dataset.save(_table(5))
    before = target.read_bytes()
    env = {**os.environ, VARIABLE: f"{atomic.FAULT_POINT}:1"}

    killed = _child_save("rmfer.kedro_datasets.atomic.CSVDataset", target, 1000, env)

    assert killed.wait(timeout=120) == -signal.SIGKILL
    assert target.read_bytes() == before  # the new table lies whole in the temporary, unused
    assert len(pd.read_csv(partial_path(target))) == 1000
    pd.testing.assert_frame_equal(dataset.load(), _table(5))
    dataset.save(_table(8))  # the re-run writes over the temporary the kill left
    assert len(dataset.load()) == 8 and sorted(os.listdir(tmp_path)) == [target.name]


def _kill_while_writing(dataset: str, target: Path, old_size: int, rows: int) -> int:
    """Start a save of `rows` rows and SIGKILL it once a file in the folder outgrows the old
    one: the new table is being written. Returns the exit status."""
    child = _child_save(dataset, target, rows, dict(os.environ))
    deadline = time.monotonic() + 120
    while child.poll() is None and time.monotonic() < deadline:
        if any(p.stat().st_size > old_size for p in target.parent.iterdir() if p.is_file()):
            child.send_signal(signal.SIGKILL)
            break
        time.sleep(0.001)
    return child.wait(timeout=60)


@pytest.mark.faults
def test_a_save_killed_mid_write_leaves_the_previous_file_not_a_shorter_table(tmp_path: Path):
    """The failure this module exists for, shown on kedro-datasets' own CSVDataset first."""
    rows = 1_000_000  # about 25 MB: a write long enough to land a kill inside it
    for name, kind in [
        ("theirs", "kedro_datasets.pandas.CSVDataset"),
        ("ours", "rmfer.kedro_datasets.atomic.CSVDataset"),
    ]:
        target = tmp_path / name / "rm_sources.csv"
        target.parent.mkdir()
        _table(5).to_csv(target, index=False)
        before = target.read_bytes()

        status = _kill_while_writing(kind, target, len(before), rows)

        assert status == -signal.SIGKILL, f"{name}: the save finished before the kill"
        if name == "theirs":  # in place: a shorter table that reads as complete
            assert 5 < len(pd.read_csv(target)) < rows
        else:
            assert target.read_bytes() == before


def _catalog_types(entry: dict[str, Any]) -> list[str]:
    """The dataset types an entry writes with: its own and a partitioned folder's."""
    inner = entry.get("dataset")
    inner_type = inner if isinstance(inner, str) else (inner or {}).get("type")
    return [entry["type"]] + ([inner_type] if inner_type else [])


@pytest.mark.parametrize("env", ["base", "paper"])
def test_every_catalog_file_is_written_by_a_project_dataset(env):
    """kedro-datasets' file classes write in place; the catalog names the atomic ones."""
    loader = OmegaConfigLoader(
        conf_source=str(PROJECT_ROOT / "conf"), env=env, **CONFIG_LOADER_ARGS
    )
    in_place = {
        name: kind
        for name, entry in loader["catalog"].items()
        for kind in _catalog_types(entry)
        if kind not in ("MemoryDataset", "partitions.PartitionedDataset")
        and not kind.startswith("rmfer.kedro_datasets.")
    }
    assert in_place == {}
