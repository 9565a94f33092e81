"""Tests of rnnlab.report.figures: perplexity.png, gru_vs_lstm.png and speed.png are real PNGs
that draw what the numbers say."""

import re

import pytest
from report_inputs import PNG_MAGIC, fake_metrics, seeds, tick_texts, write_models

from rnnlab.report import build_report, figures, stats


@pytest.mark.parametrize("name", ["perplexity.png", "gru_vs_lstm.png", "speed.png"])
def test_figures_are_real_pngs(ten_report, name):
    """Each figure of the ten-variant report is a PNG of non-trivial size."""
    data = (ten_report[0] / name).read_bytes()
    assert data[:8] == PNG_MAGIC and len(data) > 20_000


@pytest.mark.parametrize("present", ["gru", "none"])
def test_gru_vs_lstm_figure_without_a_pair(present, tmp_path):
    """gru_vs_lstm.png is still drawn with one deep model, or none."""
    gru = fake_metrics("gru_deep") if present == "gru" else None
    path = figures.plot_gru_vs_lstm(gru, None, tmp_path / "gru_vs_lstm.png")
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC and len(data) > 5_000


def test_perplexity_figure_stars_each_best_epoch():
    """perplexity.png: a star per variant at its best held-out epoch, shades of one colour for
    the variants of one cell, dashed scratch and solid torch.nn."""
    from rnnlab.plots import pyplot

    runs = [fake_metrics("gru_scratch", best_epoch=10), fake_metrics("gru_concise"),
            fake_metrics("lstm_deep", best_epoch=15)]
    runs[0]["history"][9]["val_perplexity"] = 1.5
    fig = figures.perplexity_figure(stats.replicate_groups(runs))
    train_ax, val_ax = fig.axes
    stars = [(line.get_xdata()[0], line.get_ydata()[0]) for line in val_ax.get_lines()
             if line.get_marker() == "*"]
    assert stars == [(10, 1.5), (20, 4.0), (15, runs[2]["history"][14]["val_perplexity"])]
    styles = [(line.get_color(), line.get_linestyle()) for line in train_ax.get_lines()]
    assert styles[0][0] != styles[1][0] and styles[0][1] == "--" and styles[1][1] == "-"
    assert all(re.fullmatch(r"\d+(\.\d+)?", t) for t in tick_texts(fig) if t)
    pyplot().close(fig)


def test_group_curves_have_confidence_bands(tmp_path):
    """perplexity.png draws a group of replicates as its mean with a 95% band, a single run
    without one; speed.png and the sweep figures are real PNGs."""
    from matplotlib.collections import PolyCollection

    from rnnlab.plots import pyplot

    runs = [*seeds("gru_deep", [1.0, 1.4, 1.2]), fake_metrics("lstm_deep")]
    groups = stats.replicate_groups(runs)
    fig = figures.perplexity_figure(groups)
    train_ax, val_ax = fig.axes
    bands = [c for c in train_ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 1 and len([c for c in val_ax.collections
                                    if isinstance(c, PolyCollection)]) == 1
    mean_line = train_ax.get_lines()[0]
    assert mean_line.get_label() == "gru_deep (n = 3)"
    assert mean_line.get_ydata()[-1] == pytest.approx(1.2)
    pyplot().close(fig)
    specs = {"seeds": {"base": ["gru_deep"], "grid": {"seed": [1, 2]}}}
    build_report(write_models(tmp_path / "models", *runs), tmp_path / "report",
                 sweep_specs=specs)
    for name in ("speed.png", "sweep-seeds.png"):
        data = (tmp_path / "report" / name).read_bytes()
        assert data[:8] == PNG_MAGIC and len(data) > 20_000
