"""The comparison figures: perplexity.png (every variant per epoch), gru_vs_lstm.png (exercise
9.3-2 per epoch and per second) and speed.png (training tokens per second)."""

from __future__ import annotations

from itertools import accumulate
from pathlib import Path

from rnnlab.plots import pyplot, save_figure
from rnnlab.report.formats import devices

IMPL_COLOURS = {"scratch": "tab:orange", "torch": "tab:blue"}


def _colours(n: int) -> list:
    import matplotlib

    palette = matplotlib.colormaps["tab10" if n <= 10 else "tab20"].colors
    return [palette[i % len(palette)] for i in range(n)]


def _curves(train_ax, val_ax, xs: list, history: list[dict], colour, label: str,
            held_label: str | None = None) -> bool:
    """Training perplexity (solid) on train_ax and held-out (dashed, markers) on val_ax, both
    against ``xs``. Returns whether there was any held-out perplexity."""
    train_ax.plot(xs, [row["train_perplexity"] for row in history], color=colour, label=label)
    held = [(x, row["val_perplexity"]) for x, row in zip(xs, history, strict=True)
            if row.get("val_perplexity") is not None]
    if held:
        val_ax.plot(*zip(*held, strict=True), color=colour, linestyle="--", marker="o",
                    markersize=3, label=held_label)
    return bool(held)


def _log_y(ax) -> None:
    """A log perplexity axis labelled with plain numbers (20, not 2 x 10^1)."""
    from matplotlib.ticker import LogFormatter

    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(LogFormatter())
    ax.yaxis.set_minor_formatter(LogFormatter(minor_thresholds=(2, 0.5)))
    ax.grid(True, which="both", alpha=0.3)


def plot_perplexity(runs: list[dict], path: Path) -> Path:
    """Training (solid, left) and held-out (dashed with markers, right) perplexity per epoch."""
    plt = pyplot()
    fig, (train_ax, val_ax) = plt.subplots(1, 2, figsize=(12, 4.8), sharey=True,
                                           layout="constrained")
    any_held_out = False
    for metrics, colour in zip(runs, _colours(len(runs)), strict=True):
        history = metrics["history"]
        epochs = [row["epoch"] for row in history]
        any_held_out |= _curves(train_ax, val_ax, epochs, history, colour, metrics["variant"])
    if not any_held_out:
        val_ax.text(0.5, 0.5, "no held-out perplexity in the metrics", ha="center",
                    va="center", transform=val_ax.transAxes)
    train_ax.set(title="training perplexity", xlabel="epoch", ylabel="perplexity")
    val_ax.set(title="held-out perplexity", xlabel="epoch")
    for ax in (train_ax, val_ax):
        _log_y(ax)
    fig.legend(loc="outside right upper", title="variant")
    return save_figure(fig, path)


def plot_gru_vs_lstm(gru: dict | None, lstm: dict | None, path: Path) -> Path:
    """Exercise 9.3-2: perplexity against epoch and against cumulative training seconds."""
    plt = pyplot()
    present = [(m, c) for m, c in ((gru, "tab:blue"), (lstm, "tab:orange")) if m is not None]
    if not present:
        fig, ax = plt.subplots(figsize=(8, 3), layout="constrained")
        ax.axis("off")
        ax.text(0.5, 0.5, "Deep GRU against deep LSTM (exercise 9.3-2): no deep GRU or deep LSTM\n"
                "(cell gru/lstm with more than one layer) among the variants", ha="center",
                va="center", wrap=True)
        return save_figure(fig, path)
    fig, (by_epoch, by_time) = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True,
                                            layout="constrained")
    for metrics, colour in present:
        history = metrics["history"]
        epochs = [row["epoch"] for row in history]
        seconds = list(accumulate(row["seconds"] for row in history))
        for ax, xs in ((by_epoch, epochs), (by_time, seconds)):
            _curves(ax, ax, xs, history, colour, f"{metrics['variant']} train",
                    f"{metrics['variant']} held-out")
    by_epoch.set(xlabel="epoch", ylabel="perplexity", title="per epoch")
    by_time.set(xlabel="cumulative training seconds", title="per wall-clock second")
    for ax in (by_epoch, by_time):
        _log_y(ax)
        ax.legend()
    title = "Deep GRU against deep LSTM (exercise 9.3-2)"
    if len(present) == 1:
        title += f": no deep {'LSTM' if lstm is None else 'GRU'} found, only one model shown"
    fig.suptitle(title)
    return save_figure(fig, path)


def plot_speed(runs: list[dict], path: Path) -> Path:
    """Horizontal bars of training tokens per second, coloured by implementation."""
    plt = pyplot()
    from matplotlib.patches import Patch
    from matplotlib.ticker import StrMethodFormatter

    speeds = [m["tokens_per_second"] for m in runs]
    fig, ax = plt.subplots(figsize=(8, 1.5 + 0.45 * len(runs)), layout="constrained")
    bars = ax.barh(range(len(runs)), speeds,
                   color=[IMPL_COLOURS.get(m["impl"], "tab:gray") for m in runs])
    ax.set_yticks(range(len(runs)), [m["variant"] for m in runs])
    ax.invert_yaxis()
    ax.bar_label(bars, labels=[f"{s:,.0f}" for s in speeds], padding=3)
    ax.set_xlim(0, max(speeds) * 1.2 if max(speeds) > 0 else 1)
    ax.set(xlabel="training tokens per second", title=f"Training speed on {devices(runs)}")
    impls = sorted({m["impl"] for m in runs})
    ax.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    fig.legend(handles=[Patch(color=IMPL_COLOURS.get(i, "tab:gray"), label=i) for i in impls],
               title="impl", loc="outside right upper")
    ax.grid(True, axis="x", alpha=0.3)
    return save_figure(fig, path)
