from pathlib import Path

import pytest
from kedro.config import OmegaConfigLoader
from kedro.io.core import DatasetError

from rmfer.kedro_datasets.benchmark import BenchmarkDataset
from tests.conf import PROJECT_ROOT
from tests.data.layouts import write_image

# Where the README tells users to put each benchmark; the paper environment's default is one.
README_PLACES = {
    "rafdb": "data/01_raw/rafdb",
    "affectnet": "data/01_raw/affectnet",
    "ferplus": "data/01_raw/ferplus",
}


def _files(names: list[str]) -> dict[str, bytes | str]:
    files: dict[str, bytes | str] = {f"Image/aligned/{n}_aligned.jpg": b"jpeg" for n in names}
    files["EmoLabel/list_patition_label.txt"] = "".join(f"{n}.jpg 1\n" for n in names)
    return files


def test_a_downloaded_benchmark_is_never_written(tmp_path: Path):
    dataset = BenchmarkDataset("rafdb", str(tmp_path / "rafdb"))
    with pytest.raises(DatasetError, match="read-only"):
        dataset.save(_files(["train_00001"]))
    assert not (tmp_path / "rafdb").exists()


def test_the_demo_benchmark_is_written_and_a_smaller_one_leaves_nothing_stale(tmp_path: Path):
    root = tmp_path / "basic"
    dataset = BenchmarkDataset("rafdb", str(root), writable=True)
    dataset.save(_files(["train_00001", "train_00002", "test_0001"]))
    assert (root / "EmoLabel/list_patition_label.txt").read_text().count("\n") == 3
    dataset.save(_files(["train_00001"]))
    left = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    assert left == ["EmoLabel/list_patition_label.txt", "Image/aligned/train_00001_aligned.jpg"]


def test_reader_options_reach_the_reader(tmp_path: Path):
    write_image(tmp_path / "train/4/a.jpg")  # RAF-DB's 4 is Happiness
    dataset = BenchmarkDataset("image_folder", str(tmp_path), options={"label_order": "rafdb"})
    assert dataset.load()["label"].tolist() == [1]


def _paper_benchmark_entry() -> dict:
    loader = OmegaConfigLoader(
        conf_source=str(PROJECT_ROOT / "conf"), base_env="base", default_run_env="paper"
    )
    entry = dict(loader["catalog"]["benchmark"])
    assert entry.pop("type") == "rmfer.kedro_datasets.benchmark.BenchmarkDataset"
    return entry


def test_the_paper_default_with_nothing_in_place_names_the_readmes_place(tmp_path, monkeypatch):
    entry = _paper_benchmark_entry()
    place = entry["path"]
    assert place == README_PLACES[entry["format"]]
    assert f"{place}/" in (PROJECT_ROOT / "README.md").read_text()
    monkeypatch.chdir(tmp_path)  # as `kedro run --env=paper --pipeline=ial` with no benchmark,
    entry["path"] = str(tmp_path / place)  # which makes the catalog's paths absolute
    with pytest.raises(DatasetError) as raised:
        BenchmarkDataset(**entry).load()
    label_file = "EmoLabel/list_patition_label.txt"
    assert (
        f"no RAF-DB found at {place} (looked for {place}/basic/{label_file} and "
        f"{place}/{label_file}); put the archive's basic/ folder there — see docs/data-formats.md"
    ) in str(raised.value)


@pytest.mark.parametrize(("format", "name"), [("affectnet", "AffectNet"), ("ferplus", "FERPlus")])
def test_every_readme_place_is_named_when_nothing_is_there(
    tmp_path: Path, monkeypatch, format: str, name: str
):
    place = README_PLACES[format]
    assert f"{place}/" in (PROJECT_ROOT / "README.md").read_text()
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DatasetError, match=rf"no {name} found at {place} \(looked for {place}/"):
        BenchmarkDataset(format, place).load()
