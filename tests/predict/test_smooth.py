"""--smooth: a centred moving average per person, raw columns kept, fewer label flips."""

from __future__ import annotations

import numpy as np
import pandas as pd
from click.testing import CliRunner

from rmfer.cli import rmfer
from rmfer.labels import label_names
from rmfer.predict.smooth import smooth_table
from rmfer.predict.table import prob_column, smooth_column

LABELS = label_names(7)
RAW = [prob_column(label) for label in LABELS]
SMOOTH = [smooth_column(label) for label in LABELS]


def noisy_table(seed: int = 0) -> pd.DataFrame:
    """Two persons at 5 Hz over 20 s, each holding an expression for 4 s at a time, seen through
    noisy probabilities; their rows interleaved and a few frames missing."""
    rng = np.random.default_rng(seed)
    rows = []
    for person in (0, 1):
        times = np.round(np.arange(0, 20, 0.2), 6)
        times = times[rng.random(len(times)) > 0.1]
        shown = rng.integers(0, len(LABELS), 5)[(times // 4).astype(int)]
        logits = rng.normal(0, 1.2, (len(times), len(LABELS)))
        logits[np.arange(len(times)), shown] += 1.5
        probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        for t, p in zip(times, probs, strict=True):
            rows.append({"time_s": t, "person_id": person, **dict(zip(RAW, p, strict=True))})
    table = pd.DataFrame(rows).sample(frac=1, random_state=seed).reset_index(drop=True)
    table[RAW] = table[RAW].astype(np.float32)
    table["label"] = pd.Series(np.array(LABELS)[table[RAW].to_numpy().argmax(1)], dtype="string")
    return table


def brute_force(table: pd.DataFrame, seconds: float) -> np.ndarray:
    """The mean of the same person's rows within ±seconds/2, one row at a time."""
    out = np.zeros((len(table), len(LABELS)))
    for i, row in table.iterrows():
        near = (table["person_id"] == row["person_id"]) & (
            (table["time_s"] - row["time_s"]).abs() <= seconds / 2 + 1e-9
        )
        out[i] = table.loc[near, RAW].to_numpy(np.float64).mean(axis=0)
    return out


def flips(table: pd.DataFrame) -> int:
    ordered = table.sort_values(["person_id", "time_s"])
    same_person = ordered["person_id"].eq(ordered["person_id"].shift())
    return int((ordered["label"].ne(ordered["label"].shift()) & same_person).sum())


def test_smoothing_equals_an_independent_computation_and_keeps_raw_columns():
    table = noisy_table()
    smoothed = smooth_table(table, LABELS, seconds=1.0)
    np.testing.assert_allclose(smoothed[SMOOTH].to_numpy(), brute_force(table, 1.0), atol=1e-6)
    pd.testing.assert_frame_equal(smoothed[RAW], table[RAW])  # raw columns kept as they were
    np.testing.assert_allclose(smoothed[SMOOTH].sum(axis=1), 1.0, atol=1e-5)
    assert (smoothed["label"] == smoothed[SMOOTH].idxmax(axis=1).str[9:].str.capitalize()).all()


def test_smoothing_reduces_label_flips():
    table = noisy_table(seed=3)
    raw_flips = flips(table)
    smoothed_flips = flips(smooth_table(table, LABELS, seconds=1.6))
    assert smoothed_flips < raw_flips / 3, (raw_flips, smoothed_flips)
    # a window shorter than the sampling step changes nothing
    tiny = smooth_table(table, LABELS, seconds=0.1)
    np.testing.assert_allclose(tiny[SMOOTH].to_numpy(), table[RAW].to_numpy(), atol=1e-7)


def test_cli_smooth_adds_columns_and_takes_the_label_from_them(short_clip, untrained_model,
                                                                tmp_path):  # fmt: skip
    out = tmp_path / "out"
    args = ["predict", str(short_clip), "--model", str(untrained_model), "--out", str(out)]
    result = CliRunner().invoke(rmfer, [*args, "--smooth", "1.0", "--no-progress"])
    assert result.exit_code == 0, result.output
    table = pd.read_parquet(out / "short.parquet")
    assert len(table) > 0
    assert list(table.columns[-len(LABELS) - 1 :]) == [*SMOOTH, "label"]
    assert set(RAW) <= set(table.columns) and "quality" in table.columns
    assert (table["label"] == table[SMOOTH].idxmax(axis=1).str[9:].str.capitalize()).all()
