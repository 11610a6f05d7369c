"""Which rows train, which choose the best epoch, which are the test."""

from __future__ import annotations

import logging

import pandas as pd
from sklearn.model_selection import train_test_split

from rmfer.errors import InputError, ParameterError

logger = logging.getLogger(__name__)


def training_splits(
    index: pd.DataFrame, validation_split: str, fraction: float, seed: int, section: str = "ial"
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, str]:
    """(train, validation, test, how validation was chosen); errors name `section`'s keys.

    auto: the benchmark's own validation split when it has one (FERPlus), else a stratified
    `fraction` of train (RAF-DB and AffectNet have only train and test). `test` selects epochs
    on the test split, as some papers do; it makes the test numbers optimistic.
    """
    train = index[index["split"] == "train"]
    test = index[index["split"] == "test"]
    own = index[index["split"] == "validation"]
    if train.empty:
        raise InputError("the benchmark index has no train split")
    mode = validation_split
    if mode == "auto":
        mode = "validation" if not own.empty else "train_fraction"
    if mode == "validation":
        if own.empty:
            raise ParameterError(
                f"{section}.validation_split is 'validation' but the index has no validation split"
            )
        return train, own, test, mode
    if mode == "test":
        if test.empty:
            raise ParameterError(
                f"{section}.validation_split is 'test' but the index has no test split"
            )
        logger.warning("Selecting the best epoch on the test split: test metrics are optimistic")
        return train, test, test, mode
    if not 0 < fraction < 1:
        raise ParameterError(
            f"{section}.validation_fraction must be in (0, 1) to carve a validation set, "
            f"got {fraction}"
        )
    try:
        kept, held = train_test_split(
            train, test_size=fraction, random_state=seed, stratify=train["label"]
        )
    except ValueError:  # a class too small to stratify
        kept, held = train_test_split(train, test_size=fraction, random_state=seed)
    return kept.sort_index(), held.sort_index(), test, mode
