"""The study of the method's effect: a world of its own, paired arms, resumable runs, a report.

`make_world` generates the study world, `run_study` trains and measures every arm at every L and
seed (resuming from the run JSONs it finds), `render_report` and `plot_accuracy` summarise them.
"""

from rmfer.study.params import StudyParams
from rmfer.study.report import plot_accuracy, render_report
from rmfer.study.runs import plan_runs, run_study
from rmfer.study.world import load_world, make_world

__all__ = [
    "StudyParams",
    "load_world",
    "make_world",
    "plan_runs",
    "plot_accuracy",
    "render_report",
    "run_study",
]
