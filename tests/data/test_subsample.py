"""The labels-per-class subsample of a benchmark index: per-class counts, nesting over L, the
validation and test rows kept whole, and a class too small named."""

from __future__ import annotations

import pandas as pd
import pytest

from rmfer.data.subsample import (
    SubsampleParams,
    carve_validation,
    labeled_subset,
    subsample_train,
)
from rmfer.errors import ParameterError
from tests.conf import base_parameters


def _index() -> pd.DataFrame:
    """Class c has 20 + 5c train images, 4 validation and 6 test, rows interleaved."""
    rows = [
        {"path": f"{split}/{label}_{k}.jpg", "label": label, "split": split, "dataset": "toy"}
        for label in range(7)
        for split, count in (("train", 20 + 5 * label), ("validation", 4), ("test", 6))
        for k in range(count)
    ]
    return pd.DataFrame(rows).sample(frac=1.0, random_state=3).reset_index(drop=True)


def _params(
    labels_per_class: int | None, seed: int = 0, validation: int | None = None
) -> SubsampleParams:
    return SubsampleParams.from_dict(
        {"labels_per_class": labels_per_class, "validation_per_class": validation, "seed": seed}
    )


def _train(index: pd.DataFrame) -> pd.DataFrame:
    return index[index["split"] == "train"]


def test_l_per_class_nested_over_l_and_validation_and_test_untouched():
    index = _index()
    small, large = subsample_train(index, _params(5)), subsample_train(index, _params(12))
    assert _train(small).groupby("label").size().to_dict() == dict.fromkeys(range(7), 5)
    assert _train(large).groupby("label").size().to_dict() == dict.fromkeys(range(7), 12)
    assert set(_train(small).index) < set(_train(large).index)  # L = 5 is in L = 12
    for subset in (small, large):
        for split in ("validation", "test"):
            pd.testing.assert_frame_equal(
                subset[subset["split"] == split], index[index["split"] == split]
            )
    other = subsample_train(index, _params(5, seed=1))
    assert set(_train(other).index) != set(_train(small).index)


def test_it_is_the_studys_draw_and_null_keeps_every_image():
    index = _index()
    pd.testing.assert_frame_equal(
        subsample_train(index, _params(7, 2)), labeled_subset(index, 7, 2)
    )
    assert subsample_train(index, _params(None)) is index
    # L equal to the smallest class takes all of that class
    assert (_train(subsample_train(index, _params(20))).groupby("label").size() == 20).all()


def test_a_class_with_fewer_than_l_train_images_is_named_with_its_count():
    with pytest.raises(ParameterError) as error:
        subsample_train(_index(), _params(26))
    message = str(error.value)
    assert "subsample.labels_per_class = 26" in message
    assert "class 0 (Neutral) has only 20 train images" in message
    assert "at most 20" in message


def test_the_projects_block_is_valid_and_bad_values_are_named():
    params = SubsampleParams.from_dict(base_parameters("subsample"))
    assert (params.labels_per_class, params.validation_per_class) == (10, 30)  # the study's L
    with pytest.raises(ParameterError, match=r"subsample.labels_per_class = 0"):
        _params(0)
    with pytest.raises(ParameterError, match=r"unknown parameters \['subsample.per_class'\]"):
        SubsampleParams.from_dict(
            {"labels_per_class": 5, "validation_per_class": None, "seed": 0, "per_class": 5}
        )


def _without_validation() -> pd.DataFrame:
    index = _index()
    return index[index["split"] != "validation"]


def test_validation_is_carved_from_the_images_l_is_not_drawn_from():
    index = _without_validation()
    subset = subsample_train(index, _params(5, validation=8))
    validation = subset[subset["split"] == "validation"]
    assert validation.groupby("label").size().to_dict() == dict.fromkeys(range(7), 8)
    assert _train(subset).groupby("label").size().to_dict() == dict.fromkeys(range(7), 5)
    assert not set(validation["path"]) & set(_train(subset)["path"])
    # the carve does not depend on L: the same validation split at L = 5 and L = 12
    larger = subsample_train(index, _params(12, validation=8))
    assert set(larger[larger["split"] == "validation"]["path"]) == set(validation["path"])
    assert set(_train(subset)["path"]) < set(_train(larger)["path"])
    # the same as the study's two steps, carve then draw
    pd.testing.assert_frame_equal(subset, labeled_subset(carve_validation(index, 8, 0), 5, 0))


def test_a_benchmarks_own_validation_split_is_never_carved_again():
    index = _index()
    pd.testing.assert_frame_equal(
        subsample_train(index, _params(5, validation=8)), subsample_train(index, _params(5))
    )


def test_too_few_images_for_l_plus_validation_names_both():
    with pytest.raises(ParameterError) as error:
        subsample_train(_without_validation(), _params(15, validation=8))
    message = str(error.value)
    assert "labels_per_class = 15 plus subsample.validation_per_class = 8" in message
    assert "class 0 (Neutral) has only 20 train images" in message
    assert "at most 12" in message
