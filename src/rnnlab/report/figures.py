"""The comparison figures: perplexity.png (every variant per epoch), gru_vs_lstm.png (exercise
9.3-2 per epoch and per second) and speed.png (training tokens per second). Colour by cell, line
style by implementation, a star at each variant's best held-out epoch; speeds measured while
jobs overlapped carry the overlap beside them."""

from __future__ import annotations

import textwrap
from itertools import accumulate
from pathlib import Path

from rnnlab.plots import (
    BEST_MARKER,
    IMPL_LINESTYLES,
    best_held_out,
    integer_epochs,
    log_perplexity_axis,
    pyplot,
    save_figure,
    variant_styles,
)
from rnnlab.report.formats import devices
from rnnlab.report.overlap import caveat, percent

IMPL_COLOURS = {"scratch": "tab:orange", "torch": "tab:blue"}


def _styles(runs: list[dict]) -> list[dict]:
    return variant_styles([(m["cell"], m["impl"]) for m in runs])


def _curves(train_ax, val_ax, xs: list, metrics: dict, style: dict, label: str,
            held_label: str | None = None, held_linestyle: str | None = None) -> bool:
    """Training perplexity on train_ax and held-out (with markers and a star at the best
    epoch) on val_ax, both against ``xs``. Returns whether there was any held-out perplexity."""
    history = metrics["history"]
    train_ax.plot(xs, [row["train_perplexity"] for row in history], label=label, **style)
    held = [(x, row["val_perplexity"]) for x, row in zip(xs, history, strict=True)
            if row.get("val_perplexity") is not None]
    if held:
        val_ax.plot(*zip(*held, strict=True), marker="o", markersize=3, label=held_label,
                    **{**style, "linestyle": held_linestyle or style["linestyle"]})
        best = best_held_out(history, metrics.get("best_epoch"))
        x_of = dict(zip((row["epoch"] for row in history), xs, strict=True))
        val_ax.plot(x_of[best[0]], best[1], linestyle="none", color=style["color"],
                    **BEST_MARKER)
    return bool(held)


def _note(fig, text: str, width: int) -> None:
    """A caveat under the axes of ``fig``."""
    if text:
        fig.supxlabel(textwrap.fill(text[0].upper() + text[1:] + ".", width), fontsize=8,
                      color="#8a5a00")


def _impl_legend(ax, runs: list[dict]) -> None:
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color="gray", linestyle=IMPL_LINESTYLES.get(impl, ":"),
                      label="torch.nn" if impl == "torch" else impl)
               for impl in sorted({m["impl"] for m in runs})]
    handles.append(Line2D([], [], linestyle="none", color="gray", label="best held-out",
                          **BEST_MARKER))
    ax.legend(handles=handles, loc="upper right", fontsize=8)


def perplexity_figure(runs: list[dict]):
    """Training (left) and held-out (right, markers, a star at the best) perplexity per
    epoch."""
    plt = pyplot()
    fig, (train_ax, val_ax) = plt.subplots(1, 2, figsize=(12, 4.8), sharey=True,
                                           layout="constrained")
    any_held_out = False
    for metrics, style in zip(runs, _styles(runs), strict=True):
        epochs = [row["epoch"] for row in metrics["history"]]
        any_held_out |= _curves(train_ax, val_ax, epochs, metrics, style, metrics["variant"])
    if not any_held_out:
        val_ax.text(0.5, 0.5, "no held-out perplexity in the metrics", ha="center",
                    va="center", transform=val_ax.transAxes)
    train_ax.set(title="training perplexity", xlabel="epoch", ylabel="perplexity")
    val_ax.set(title="held-out perplexity", xlabel="epoch")
    for ax in (train_ax, val_ax):
        log_perplexity_axis(ax)
        integer_epochs(ax)
    _impl_legend(val_ax, runs)
    fig.legend(loc="outside right upper", title="variant")
    return fig


def plot_perplexity(runs: list[dict], path: Path) -> Path:
    """perplexity.png (see perplexity_figure)."""
    return save_figure(perplexity_figure(runs), path)


def plot_gru_vs_lstm(gru: dict | None, lstm: dict | None, path: Path,
                     fractions: dict | None = None) -> Path:
    """Exercise 9.3-2: perplexity against epoch and against cumulative training seconds; the
    per-second panel carries the overlap caveat when the jobs shared the machine."""
    plt = pyplot()
    present = [m for m in (gru, lstm) if m is not None]
    if not present:
        fig, ax = plt.subplots(figsize=(8, 3), layout="constrained")
        ax.axis("off")
        ax.text(0.5, 0.5, "Deep GRU against deep LSTM (exercise 9.3-2): no deep GRU or deep LSTM\n"
                "(cell gru/lstm with more than one layer) among the variants", ha="center",
                va="center", wrap=True)
        return save_figure(fig, path)
    fig, (by_epoch, by_time) = plt.subplots(1, 2, figsize=(12, 4.8), sharey=True,
                                            layout="constrained")
    for metrics, style in zip(present, _styles(present), strict=True):
        history = metrics["history"]
        epochs = [row["epoch"] for row in history]
        seconds = list(accumulate(row["seconds"] for row in history))
        for ax, xs in ((by_epoch, epochs), (by_time, seconds)):
            _curves(ax, ax, xs, metrics, {**style, "linestyle": "-"},
                    f"{metrics['variant']} train", f"{metrics['variant']} held-out", "--")
    by_epoch.set(xlabel="epoch", ylabel="perplexity", title="per epoch")
    by_time.set(xlabel="cumulative training seconds", title="per second of training")
    integer_epochs(by_epoch)
    for ax in (by_epoch, by_time):
        log_perplexity_axis(ax)
        ax.legend(fontsize=8)
    title = "Deep GRU against deep LSTM (exercise 9.3-2)"
    if len(present) == 1:
        title += f": no deep {'LSTM' if lstm is None else 'GRU'} found, only one model shown"
    fig.suptitle(title)
    _note(fig, caveat([m["variant"] for m in present], fractions or {}), 160)
    return save_figure(fig, path)


def plot_speed(runs: list[dict], path: Path, fractions: dict | None = None) -> Path:
    """Horizontal bars of training tokens per second, coloured by implementation; each bar of a
    job that overlapped others says by how much."""
    plt = pyplot()
    from matplotlib.patches import Patch
    from matplotlib.ticker import StrMethodFormatter

    fractions = fractions or {}
    speeds = [m["tokens_per_second"] for m in runs]
    fig, ax = plt.subplots(figsize=(9, 1.8 + 0.45 * len(runs)), layout="constrained")
    bars = ax.barh(range(len(runs)), speeds,
                   color=[IMPL_COLOURS.get(m["impl"], "tab:gray") for m in runs])
    ax.set_yticks(range(len(runs)), [m["variant"] for m in runs])
    ax.invert_yaxis()
    labels = [f"{s:,.0f}" + (f" (overlapped {percent(fractions[m['variant']])})"
                             if fractions.get(m["variant"]) else "")
              for s, m in zip(speeds, runs, strict=True)]
    ax.bar_label(bars, labels=labels, padding=3, fontsize=8)
    ax.set_xlim(0, max(speeds) * 1.45 if max(speeds) > 0 else 1)
    ax.set(xlabel="training tokens per second", title=f"Training speed on {devices(runs)}")
    impls = sorted({m["impl"] for m in runs})
    ax.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    fig.legend(handles=[Patch(color=IMPL_COLOURS.get(i, "tab:gray"), label=i) for i in impls],
               title="impl", loc="outside right upper")
    ax.grid(True, axis="x", alpha=0.3)
    _note(fig, caveat([m["variant"] for m in runs], fractions), 120)
    return save_figure(fig, path)
