"""The comparison figures: perplexity.png (every variant per epoch), gru_vs_lstm.png (exercise
9.3-2 per epoch and per second) and speed.png (training tokens per second). Colour by cell, line
style by implementation, a star at each variant's best held-out epoch; a group of replicates is
its mean with a 95% confidence band (error bars on speed.png); speeds measured while jobs
overlapped carry the overlap beside them."""

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
from rnnlab.report.stats import Group, group_history, summarise

IMPL_COLOURS = {"scratch": "tab:orange", "torch": "tab:blue"}


def _styles(groups: list[Group]) -> list[dict]:
    return variant_styles([(g.members[0]["cell"], g.members[0]["impl"]) for g in groups])


def _label(group: Group) -> str:
    return f"{group.name} (n = {group.n})" if group.n > 1 else group.members[0]["variant"]


def _as_group(metrics: dict) -> Group:
    """The group a representative of the answers stands for, or a group of one run."""
    return metrics.get("group") or Group(metrics["variant"], [metrics])


def _mean_curves(train_ax, val_ax, group: Group, style: dict, label: str,
                 held_label: str | None = None, held_linestyle: str | None = None,
                 x_of=None) -> bool:
    """_curves of the group's mean history, with its 95% bands; ``x_of`` maps the mean
    history to x values (epochs by default)."""
    history, bands = group_history(group)
    metrics = {**group.members[0], "history": history}
    if group.n > 1:
        metrics["best_epoch"] = None  # the best epoch of the mean curve
    xs = x_of(history) if x_of else [row["epoch"] for row in history]
    held = _curves(train_ax, val_ax, xs, metrics, style, label, held_label, held_linestyle)
    x_by_epoch = dict(zip((row["epoch"] for row in history), xs, strict=True))
    for ax, key in ((train_ax, "train_perplexity"), (val_ax, "val_perplexity")):
        band = bands.get(key)
        if band:
            ax.fill_between([x_by_epoch[e] for e in band], *zip(*band.values(), strict=True),
                            color=style["color"], alpha=0.2, linewidth=0)
    return held


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


def perplexity_figure(groups: list[Group]):
    """Training (left) and held-out (right, markers, a star at the best) perplexity per
    epoch of each group (its mean and 95% band where it has several seeds)."""
    plt = pyplot()
    fig, (train_ax, val_ax) = plt.subplots(1, 2, figsize=(12, 4.8), sharey=True,
                                           layout="constrained")
    any_held_out = False
    for group, style in zip(groups, _styles(groups), strict=True):
        any_held_out |= _mean_curves(train_ax, val_ax, group, style, _label(group))
    if not any_held_out:
        val_ax.text(0.5, 0.5, "no held-out perplexity in the metrics", ha="center",
                    va="center", transform=val_ax.transAxes)
    train_ax.set(title="training perplexity", xlabel="epoch", ylabel="perplexity")
    val_ax.set(title="held-out perplexity", xlabel="epoch")
    for ax in (train_ax, val_ax):
        log_perplexity_axis(ax)
        integer_epochs(ax)
    _impl_legend(val_ax, [g.members[0] for g in groups])
    fig.legend(loc="outside right upper", title="variant")
    return fig


def plot_perplexity(groups: list[Group], path: Path) -> Path:
    """perplexity.png (see perplexity_figure)."""
    return save_figure(perplexity_figure(groups), path)


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
    groups = [_as_group(m) for m in present]
    for group, style in zip(groups, _styles(groups), strict=True):
        name = _label(group)
        for ax, x_of in ((by_epoch, None),
                         (by_time, lambda h: list(accumulate(row["seconds"] for row in h)))):
            _mean_curves(ax, ax, group, {**style, "linestyle": "-"}, f"{name} train",
                         f"{name} held-out", "--", x_of)
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
    _note(fig, caveat([m for g in groups for m in g.variants], fractions or {}), 160)
    return save_figure(fig, path)


def plot_speed(groups: list[Group], path: Path, fractions: dict | None = None) -> Path:
    """Horizontal bars of training tokens per second, coloured by implementation; a group of
    replicates is its mean with a 95% confidence error bar; each bar of a job that overlapped
    others says by how much."""
    plt = pyplot()
    from matplotlib.patches import Patch
    from matplotlib.ticker import StrMethodFormatter

    fractions = fractions or {}
    summaries = [summarise([m["tokens_per_second"] for m in g.members]) for g in groups]
    speeds = [s.mean for s in summaries]
    errors = [s.ci95 or 0.0 for s in summaries]
    fig, ax = plt.subplots(figsize=(9, 1.8 + 0.45 * len(groups)), layout="constrained")
    impls = [g.members[0]["impl"] for g in groups]
    bars = ax.barh(range(len(groups)), speeds, xerr=errors, capsize=3,
                   color=[IMPL_COLOURS.get(i, "tab:gray") for i in impls])
    ax.set_yticks(range(len(groups)), [_label(g) for g in groups])
    ax.invert_yaxis()
    labels = []
    for group, summary in zip(groups, summaries, strict=True):
        shares = [fractions.get(name) for name in group.variants]
        share = None if None in shares else max(shares)
        labels.append(f"{summary.mean:,.0f}"
                      + (f" ± {summary.ci95:,.0f}" if summary.ci95 is not None else "")
                      + (f" (overlapped {percent(share)})" if share else ""))
    ax.bar_label(bars, labels=labels, padding=3, fontsize=8)
    top = max(s + e for s, e in zip(speeds, errors, strict=True))
    ax.set_xlim(0, top * 1.5 if top > 0 else 1)
    runs = [m for g in groups for m in g.members]
    ax.set(xlabel="training tokens per second", title=f"Training speed on {devices(runs)}")
    ax.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    fig.legend(handles=[Patch(color=IMPL_COLOURS.get(i, "tab:gray"), label=i)
                        for i in sorted(set(impls))], title="impl", loc="outside right upper")
    ax.grid(True, axis="x", alpha=0.3)
    _note(fig, caveat([m["variant"] for m in runs], fractions), 120)
    return save_figure(fig, path)
