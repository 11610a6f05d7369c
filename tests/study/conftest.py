"""A tiny study: a world of a few faces, L = 3, one seed, three arms, a few steps each."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from tests.conf import base_parameters

TINY_ARMS = ["ce", "ial", "control"]


def tiny_study(root: Path, **changes: Any) -> dict[str, Any]:
    """conf/base `study`, shrunk to seconds of work, writing under `root`."""
    study = base_parameters("study")
    synth = study["world"]["synth"]
    synth.update(workers=1, videos_dir=str(root / "world" / "videos"))
    synth["benchmark"].update(
        identities_train=4, identities_test=2, per_class_train=5, per_class_test=3
    )
    synth["benchmark"].update(original_size=96, aligned_size=48)
    synth["videos"].update(
        count=3, duration_s=8, fps=5, width=320, height=180, reactors_min=2, reactors_max=3
    )
    study.update(
        seeds=[0],
        labels_per_class=[3],
        arms=list(TINY_ARMS),
        runs_dir=str(root / "runs"),
        models_dir=str(root / "models"),
        ial_steps=2,
        max_ial_epochs=2,
        feature_faces=40,
        ial={"image_size": 32, "batch_size": 21, "eval_batch_size": 64},
        acl={
            "epochs": 1,
            "steps_per_epoch": 2,
            "batch_size": 21,
            "anchors_per_batch": 4,
            "positives": 2,
            "negatives": 2,
            "distance_s": 2.0,
            "eval_batch_size": 64,
        },
        choose={},
        workers=1,  # in this process: the tests patch the trainers
    )
    study["world"].update(dir=str(root / "world"), face_size=32, held_out_videos=1)
    study["world"]["validation_per_class"] = 2
    study.update(changes)
    return copy.deepcopy(study)
