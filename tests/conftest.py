"""Shared fixtures: a tiny demo world, and a small IAL net trained on an easy benchmark.

The copy of the project that Kedro and DVC run in is tests/pipelines/conftest.py's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def tiny_synth_params(**videos: Any) -> dict[str, Any]:
    """The project's synth parameters, shrunk so a world renders in seconds."""
    params = yaml.safe_load((PROJECT_ROOT / "conf/base/parameters_synth.yml").read_text())["synth"]
    params["workers"] = 1
    params["benchmark"].update(
        identities_train=4, identities_test=2, per_class_train=3, per_class_test=2
    )
    params["videos"].update({"count": 2, "duration_s": 2.0, "fps": 5, **videos})
    return params


# One small, easy demo benchmark and the IAL net trained on it (session-scoped: training it
# takes most of a minute on two cores), shared by the IAL, ACL-mining and predict tests.


def small_ial_params(**overrides: Any) -> Any:
    """The demo's IAL parameters (an IalParams), shrunk for a tiny timm backbone that learns in
    seconds."""
    from rmfer.training import IalParams  # torch only for the tests that train

    params = yaml.safe_load((PROJECT_ROOT / "conf/base/parameters_ial.yml").read_text())["ial"]
    params.update(
        backbone="test_efficientnet",
        image_size=48,
        threads=1,
        epochs=20,
        batch_size=35,
        lr=0.003,
        lambda_att=1.0,  # the margins of the IAL, mining and predict tests were measured with
        tau=0.1,  # these two; the demo's own defaults may move without moving them
        augmentation={
            "flip": 0.5,
            "crop_scale_min": 0.8,
            "brightness": 0,
            "contrast": 0,
            "saturation": 0,
            "hue": 0,
        },  # colour jitter off: it is slow and not needed here
        live_dir=None,  # no dvclive curves in the repository's data/ from tests
        state_dir=None,  # nor training states
    )
    params.update(overrides)
    return IalParams.from_dict(params)


@pytest.fixture(scope="session")
def easy_world(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The demo generator's benchmark, shrunk (60 faces per class) and made easier (no label
    noise, no aligner jitter), indexed by the RAF-DB reader."""
    from tests.training.worlds import render_small_benchmark

    root = tmp_path_factory.mktemp("easy_world") / "basic"
    return render_small_benchmark(
        root, identities_train=40, identities_test=12, per_class_train=60, per_class_test=20,
        annotation_noise=0.0, align_jitter=0.0,
    )  # fmt: skip


@pytest.fixture(scope="session")
def easy_ial(easy_world: Any) -> Any:
    """An IalResult: ~0.5 test accuracy (chance 0.14), same-label similarity well above
    different-label similarity (tests/training/ial/test_demo.py)."""
    from rmfer.training import train_ial

    return train_ial(easy_world, small_ial_params(), progress=False)
