"""`--smooth SECONDS`: each person's probabilities averaged over a moving window in time.

A centred moving average: a row's smoothed probabilities are the mean of the raw ones of the
same person's rows whose time lies within SECONDS/2 before or after it (ends included). It
needs no sampling rate, so frames without that person's face (a look away, a dropped row) only
make the window hold fewer rows; means of distributions stay distributions. The raw `p_<class>`
columns are kept; the smoothed ones are added as `smooth_p_<class>`, and `label` is taken from
them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rmfer.predict.table import prob_column, smooth_column


def centred_mean(times: np.ndarray, values: np.ndarray, seconds: float) -> np.ndarray:
    """Mean of `values` rows whose time is within ±seconds/2 of each row's; `times` sorted."""
    half = seconds / 2
    lo = np.searchsorted(times, times - half, side="left")
    hi = np.searchsorted(times, times + half, side="right")
    sums = np.concatenate([np.zeros((1, values.shape[1])), np.cumsum(values, axis=0)])
    return (sums[hi] - sums[lo]) / (hi - lo)[:, None]


def smooth_table(table: pd.DataFrame, labels: tuple[str, ...], seconds: float) -> pd.DataFrame:
    """`table` with `smooth_p_<class>` columns per person, and `label` from them."""
    raw = [prob_column(label) for label in labels]
    smoothed = np.zeros((len(table), len(labels)), np.float64)
    for _, rows in table.groupby("person_id", sort=False):
        order = rows.sort_values("time_s", kind="stable").index.to_numpy()
        where = table.index.get_indexer(order)
        times = table["time_s"].to_numpy(np.float64)[where]
        values = table[raw].to_numpy(np.float64)[where]
        smoothed[where] = centred_mean(times, values, seconds)
    out = table.drop(columns="label")
    for k, label in enumerate(labels):
        out[smooth_column(label)] = smoothed[:, k].astype(np.float32)
    names = np.array(labels, dtype=object)
    out["label"] = pd.Series(
        names[smoothed.argmax(axis=1)] if len(out) else [], dtype="string", index=out.index
    )
    return out
