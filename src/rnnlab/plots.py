"""Figure helpers shared by the training job (curve.png) and the report: matplotlib's Agg
backend, PNGs written atomically, log perplexity axes with plain-number ticks, integer epoch
ticks, and one look per variant (colour by cell, line style by implementation). matplotlib is
imported only when a plot is drawn, so the training path does not pay for it until the end."""

from __future__ import annotations

from pathlib import Path

from rnnlab.fileio import atomic_write

# Colour by cell (a colour map, so that several variants of one cell get shades of one colour),
# line style by implementation.
CELL_COLOURMAPS = {"rnn": "Greens", "gru": "Blues", "lstm": "Oranges"}
OTHER_COLOURMAP = "Purples"
IMPL_LINESTYLES = {"torch": "-", "scratch": "--"}
OTHER_LINESTYLE = ":"
IMPL_NAMES = {"torch": "torch.nn", "scratch": "scratch"}
BEST_MARKER = {"marker": "*", "markersize": 13, "markeredgecolor": "black", "zorder": 5}


def pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path: str | Path) -> Path:
    plt = pyplot()
    try:
        return atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=120))
    finally:
        plt.close(fig)


def variant_styles(variants: list[tuple[str, str]]) -> list[dict]:
    """Line keywords for each (cell, impl): the cell's colour (shades of it when a cell has
    several variants, darkest first) and the implementation's line style."""
    import matplotlib

    cells = [cell for cell, _ in variants]
    seen: dict[str, int] = {}
    styles = []
    for cell, impl in variants:
        index, count = seen.get(cell, 0), cells.count(cell)
        seen[cell] = index + 1
        shade = 0.75 if count == 1 else 0.95 - 0.5 * index / (count - 1)
        colourmap = matplotlib.colormaps[CELL_COLOURMAPS.get(cell, OTHER_COLOURMAP)]
        styles.append({"color": colourmap(shade),
                       "linestyle": IMPL_LINESTYLES.get(impl, OTHER_LINESTYLE)})
    return styles


def log_perplexity_axis(ax) -> None:
    """A log perplexity axis labelled with plain numbers (20, not 2 x 10^1)."""
    from matplotlib.ticker import LogFormatter

    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(LogFormatter())
    ax.yaxis.set_minor_formatter(LogFormatter(minor_thresholds=(2, 0.5)))
    ax.grid(True, which="both", alpha=0.3)


def integer_epochs(ax) -> None:
    """Epoch ticks at whole numbers only."""
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def best_held_out(history: list[dict], best_epoch=None) -> tuple | None:
    """(epoch, held-out perplexity) of ``best_epoch``, or of the lowest held-out perplexity in
    the history when the epoch is not given; None without held-out perplexity."""
    held = [(row["epoch"], row["val_perplexity"]) for row in history
            if row.get("val_perplexity") is not None]
    if best_epoch is not None:
        held = [point for point in held if point[0] == best_epoch] or held
    return min(held, key=lambda point: point[1], default=None)


def curve_figure(history: list[dict], variant: str, *, cell: str | None = None,
                 impl: str | None = None, best_epoch: int | None = None):
    """The figure of curve.png: training and held-out perplexity per epoch of one variant, with
    a star at the best held-out epoch (``best_epoch``, or the lowest held-out perplexity in
    ``history``), and the learning rate on a right axis where it changed."""
    plt = pyplot()
    (style,) = variant_styles([(cell or "", impl or "")])
    if cell is None:  # not told: matplotlib's first colour, a solid line
        style = {"color": "tab:blue", "linestyle": IMPL_LINESTYLES.get(impl, "-")}
    fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
    ax.plot([row["epoch"] for row in history], [row["train_perplexity"] for row in history],
            label="train", **style)
    held_out = [(row["epoch"], row["val_perplexity"]) for row in history
                if row.get("val_perplexity") is not None]
    if held_out:
        ax.plot(*zip(*held_out, strict=True), marker="o", markersize=3, label="held-out",
                color="black", linestyle=style["linestyle"], alpha=0.7)
    best = best_held_out(history, best_epoch)
    if best is not None:
        ax.plot(*best, linestyle="none", color=style["color"],
                label=f"best held-out {best[1]:.2f} (epoch {best[0]})", **BEST_MARKER)
    title = variant if cell is None else f"{variant} ({cell}, {IMPL_NAMES.get(impl, impl)})"
    ax.set(title=title, xlabel="epoch", ylabel="perplexity")
    log_perplexity_axis(ax)
    integer_epochs(ax)
    handles = ax.get_legend_handles_labels()[0]
    if len({row["lr"] for row in history if row.get("lr") is not None}) > 1:
        handles.append(learning_rate_axis(ax, history))
    ax.legend(handles=handles)
    return fig


def learning_rate_axis(ax, history: list[dict]):
    """The learning rate each epoch trained with, as steps on a log axis at the right (drawn
    only when it changed, by annealing); returns its line for the legend."""
    points = [(row["epoch"], row["lr"]) for row in history if row.get("lr") is not None]
    right = ax.twinx()
    (line,) = right.step(*zip(*points, strict=True), where="pre", color="dimgray",
                         linewidth=1, alpha=0.8, label="lr (right axis)")
    right.set_yscale("log")
    right.minorticks_off()
    values = sorted({lr for _, lr in points})
    right.set_yticks(values, [f"{lr:g}" for lr in values])  # ticks at the rates used
    right.set_ylabel("learning rate")
    return line


def plot_curve(history: list[dict], variant: str, path: str | Path, *, cell: str | None = None,
               impl: str | None = None, best_epoch: int | None = None) -> Path:
    """curve.png of one variant (see curve_figure)."""
    return save_figure(curve_figure(history, variant, cell=cell, impl=impl,
                                    best_epoch=best_epoch), path)
