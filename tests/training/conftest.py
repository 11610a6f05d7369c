"""One small, easy demo benchmark and the IAL net trained on it, shared by the training tests.

Session-scoped: training it takes most of a minute on two cores, and both the IAL tests (the
similarity it learns) and the ACL mining test (the prior it gives) need the same net.
"""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from rmfer.training import IalParams, IalResult, train_ial
from tests.conftest import PROJECT_ROOT
from tests.training.worlds import render_small_benchmark


def small_ial_params(**overrides) -> IalParams:
    """The demo's IAL parameters, shrunk for a tiny timm backbone that learns in seconds."""
    params = yaml.safe_load((PROJECT_ROOT / "conf/base/parameters_ial.yml").read_text())["ial"]
    params.update(
        backbone="test_efficientnet",
        image_size=48,
        threads=1,
        epochs=20,
        batch_size=35,
        lr=0.003,
        augmentation={
            "flip": 0.5,
            "crop_scale_min": 0.8,
            "brightness": 0,
            "contrast": 0,
            "saturation": 0,
        },  # colour jitter off: it is slow and not needed here
    )
    params.update(overrides)
    return IalParams.from_dict(params)


@pytest.fixture(scope="session")
def easy_world(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """The demo generator's benchmark, shrunk (60 faces per class) and made easier (no label
    noise, no aligner jitter), indexed by the RAF-DB reader."""
    root = tmp_path_factory.mktemp("easy_world") / "basic"
    return render_small_benchmark(
        root, identities_train=40, identities_test=12, per_class_train=60, per_class_test=20,
        annotation_noise=0.0, align_jitter=0.0,
    )  # fmt: skip


@pytest.fixture(scope="session")
def easy_ial(easy_world: pd.DataFrame) -> IalResult:
    return train_ial(easy_world, small_ial_params(), progress=False)
