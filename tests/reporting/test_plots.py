"""Every figure is titled, has labelled axes and class names, and no panel without data."""

from __future__ import annotations

import io

from PIL import Image

from rmfer.reporting.plots import report_figures
from rmfer.reporting.summary import embed_models
from tests.reporting.fixtures import NAMES, evaluate_params, model_result, not_trained
from tests.reporting.test_summary import _evaluation


def _figures(baseline_trained: bool):
    evaluation = _evaluation(baseline_trained=baseline_trained)
    results = [
        model_result("baseline", 4) if baseline_trained else not_trained(),
        model_result("ial", 2),
        model_result("control", 3, epochs=3),
        model_result("acl", 1, epochs=3),
    ]
    tables, _ = embed_models(results, evaluate_params())
    return report_figures(evaluation, tables)


def _panels(figure):
    return [axis for axis in figure.axes if axis.get_label() != "<colorbar>"]


def test_every_figure_is_readable_and_has_a_panel_per_trained_model():
    figures = _figures(baseline_trained=False)
    assert set(figures) == {
        "confusion.png",
        "attention.png",
        "embedding.png",
        "per_class_recall.png",
        "similarity.png",
    }
    for name, figure in figures.items():
        assert figure.get_suptitle(), name
        panels = _panels(figure)
        for axis in panels:
            assert axis.get_xlabel() and axis.get_ylabel(), name
            assert axis.has_data(), name
        png = io.BytesIO()
        figure.savefig(png, format="png")
        assert Image.open(png).size[0] > 300, name
    matrices = [_panels(figures[n]) for n in ("confusion.png", "attention.png", "embedding.png")]
    assert [len(p) for p in matrices] == [3, 3, 3]  # IAL, control, ACL; no empty baseline panel
    ticks = [t.get_text() for t in _panels(figures["confusion.png"])[0].get_xticklabels()]
    assert ticks == NAMES
    assert _panels(figures["confusion.png"])[0].get_title().startswith("IAL\naccuracy 0.833")
    legend = figures["embedding.png"].legends[0]
    assert [t.get_text() for t in legend.get_texts()] == NAMES


def test_a_trained_baseline_gets_its_panels_and_bars():
    figures = _figures(baseline_trained=True)
    assert len(_panels(figures["confusion.png"])) == 4
    (recall,) = _panels(figures["per_class_recall.png"])
    assert len(recall.patches) == 4 * 3  # 4 models x 3 classes
    assert recall.get_legend().get_texts()[0].get_text().startswith("Baseline (CE only)")
    (similarity,) = _panels(figures["similarity.png"])
    assert [round(p.get_height(), 4) for p in similarity.patches][:2] == [0.8123, 0.8123]
