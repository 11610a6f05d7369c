"""dvclive logging of the loop's history rows: one row per epoch, offline, off when unset."""

from __future__ import annotations

import json
import os

from rmfer.training.live import STUDIO_OFFLINE, epoch_log


def test_each_epoch_is_one_row_and_nothing_is_written_when_off(tmp_path, monkeypatch):
    monkeypatch.delenv(STUDIO_OFFLINE, raising=False)
    with epoch_log(None, "ial") as off:
        assert off is None
    with epoch_log(str(tmp_path), "ial") as log:
        assert os.environ.get(STUDIO_OFFLINE) is None  # offline only inside dvclive's calls
        for epoch in (1, 2):
            log({"epoch": epoch, "lr": 0.1 / epoch, "train_loss": 2.0 - epoch, "val_x": None})
    rows = (tmp_path / "ial/plots/metrics/train_loss.tsv").read_text().splitlines()
    assert rows == ["step\ttrain_loss", "1\t1.0", "2\t0.0"]
    assert json.loads((tmp_path / "ial/metrics.json").read_text()) == {
        "step": 2,
        "lr": 0.05,
        "train_loss": 0.0,
    }
    assert not (tmp_path / "ial/dvc.yaml").exists() and not list(tmp_path.glob("dvc.yaml"))
    assert os.environ.get(STUDIO_OFFLINE) is None
