"""Tests of rnnlab.plots: curve.png's axes, colours, line styles and best-epoch star."""

import re

import pytest
from report_inputs import PNG_MAGIC, fake_metrics, tick_texts

from rnnlab.plots import plot_curve


@pytest.mark.parametrize("cell, impl", [("rnn", "scratch"), ("lstm", "torch")])
def test_curve_has_plain_log_ticks_integer_epochs_and_best_marker(cell, impl, tmp_path):
    """curve.png: log perplexity axis with plain-number labels, whole-number epoch ticks, the
    cell's colour and the implementation's line style, a star at the best held-out epoch."""
    from matplotlib.colors import to_hex

    from rnnlab.plots import CELL_COLOURMAPS, IMPL_LINESTYLES, curve_figure, pyplot

    metrics = fake_metrics("gru_deep", epochs=7)
    fig = curve_figure(metrics["history"], "v", cell=cell, impl=impl, best_epoch=5)
    (ax,) = fig.axes
    assert ax.get_yscale() == "log"
    labels = [t for t in tick_texts(fig) if t]
    assert labels and all(re.fullmatch(r"\d+(\.\d+)?", t) for t in labels), labels
    assert all(float(x).is_integer() for x in ax.get_xticks())
    train, _, best = ax.get_lines()
    assert train.get_linestyle() == {"-": "-", "--": "--"}[IMPL_LINESTYLES[impl]]
    colourmap = pyplot().colormaps[CELL_COLOURMAPS[cell]]
    assert to_hex(train.get_color()) == to_hex(colourmap(0.75))
    assert best.get_marker() == "*"
    assert list(best.get_xdata()) == [5]
    assert list(best.get_ydata()) == [metrics["history"][4]["val_perplexity"]]
    pyplot().close(fig)
    path = plot_curve(metrics["history"], "v", tmp_path / "curve.png", cell=cell, impl=impl)
    assert path.read_bytes()[:8] == PNG_MAGIC


def test_curve_without_cell_is_a_solid_line_with_the_lowest_held_out_starred():
    """curve.png when the caller names no cell, implementation or best epoch: a solid line and a
    star at the lowest held-out perplexity of the history."""
    from rnnlab.plots import curve_figure, pyplot

    history = fake_metrics("gru_deep", epochs=10)["history"]
    history[4]["val_perplexity"] = 0.5
    fig = curve_figure(history, "v")
    train, _, best = fig.axes[0].get_lines()
    assert train.get_linestyle() == "-"
    assert (list(best.get_xdata()), list(best.get_ydata())) == ([5], [0.5])
    pyplot().close(fig)


def test_plot_curve_writes_a_real_png_and_nothing_else(tmp_path):
    """plot_curve writes a PNG that matplotlib reads back at its size (6 x 4 inches at 120 dpi),
    creates the folder, and leaves no temporary file beside it."""
    from matplotlib.image import imread

    history = fake_metrics("lstm_deep", epochs=6)["history"]
    path = plot_curve(history, "lstm_deep", tmp_path / "new" / "curve.png", cell="lstm",
                      impl="torch", best_epoch=5)
    assert path == tmp_path / "new" / "curve.png"
    assert path.read_bytes()[:8] == PNG_MAGIC
    assert imread(path).shape[:2] == (480, 720)
    assert [p.name for p in path.parent.iterdir()] == ["curve.png"]


def test_curve_without_held_out_perplexity_has_no_star(tmp_path):
    """A history without held-out perplexity draws the training curve alone, and still a PNG."""
    from rnnlab.plots import curve_figure, pyplot

    history = fake_metrics("gru_deep", epochs=4, val=None)["history"]
    fig = curve_figure(history, "v", cell="gru", impl="torch")
    assert [line.get_label() for line in fig.axes[0].get_lines()] == ["train"]
    pyplot().close(fig)
    assert plot_curve(history, "v", tmp_path / "c.png").read_bytes()[:8] == PNG_MAGIC


def test_variant_styles_shade_one_cell_darkest_first():
    """Several variants of one cell get shades of its colour map, darkest first; line style
    follows the implementation, and an unknown cell or implementation still gets a style."""
    from rnnlab.plots import CELL_COLOURMAPS, OTHER_LINESTYLE, pyplot, variant_styles

    styles = variant_styles([("gru", "torch"), ("gru", "scratch"), ("lstm", "torch"),
                             ("mystery", "other")])
    colourmap = pyplot().colormaps[CELL_COLOURMAPS["gru"]]
    assert styles[0]["color"] == colourmap(0.95) and styles[1]["color"] == colourmap(0.45)
    assert sum(styles[0]["color"][:3]) < sum(styles[1]["color"][:3])  # darker first
    assert [s["linestyle"] for s in styles] == ["-", "--", "-", OTHER_LINESTYLE]


@pytest.mark.parametrize("best_epoch, expected", [(None, (5, 1.5)), (10, (10, 3.0)),
                                                  (7, (5, 1.5))])
def test_best_held_out_is_the_named_epoch_or_the_lowest(best_epoch, expected):
    """best_held_out: the named epoch's held-out perplexity, the lowest when no epoch is named
    or the named one has none."""
    from rnnlab.plots import best_held_out

    history = [{"epoch": 5, "val_perplexity": 1.5}, {"epoch": 7},
               {"epoch": 10, "val_perplexity": 3.0}]
    assert best_held_out(history, best_epoch) == expected
    assert best_held_out([{"epoch": 1}]) is None


def test_curve_shows_the_learning_rate_only_where_it_changed():
    """An annealed run's curve has a right axis with the lr of each epoch as steps; a run at one
    lr has none."""
    from rnnlab.plots import curve_figure, pyplot

    history = fake_metrics("gru_deep", epochs=6)["history"]
    for row, lr in zip(history, [1, 1, 1, 0.5, 0.5, 0.25], strict=True):
        row["lr"] = lr
    fig = curve_figure(history, "v", cell="gru", impl="torch")
    main, right = fig.axes
    (line,) = right.get_lines()
    assert right.get_yscale() == "log" and right.get_ylabel() == "learning rate"
    assert list(line.get_ydata()) == [1, 1, 1, 0.5, 0.5, 0.25]
    assert "lr (right axis)" in [t.get_text() for t in main.get_legend().get_texts()]
    pyplot().close(fig)
    for row in history:
        row["lr"] = 1
    assert len(curve_figure(history, "v").axes) == 1
