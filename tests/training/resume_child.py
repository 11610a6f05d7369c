"""A training run in a process of its own, for tests/training/test_resume.py to kill.

`python -m tests.training.resume_child <job>`: the job file (pickled by the test) names the
stage and its inputs; the run writes its training state as the parameters say, and
`RMFER_FAULT_AT` kills it at a named point.
"""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

from rmfer.training.acl import train_acl
from rmfer.training.ial.train import train_ial


def main(job_path: str) -> None:
    job = pickle.loads(Path(job_path).read_bytes())
    if job["stage"] == "ial":
        train_ial(job["index"], job["params"], progress=False)
    else:
        train_acl(job["face_tracks"], job["index"], job["ial_checkpoint"], job["params"])


if __name__ == "__main__":
    main(sys.argv[1])
