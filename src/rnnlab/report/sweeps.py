"""The sweep figures: sweep-<name>.png shows each swept key against best held-out perplexity,
final training perplexity and training tokens per second, one line per base variant (and per
combination of the other swept keys), with the mean and its 95% confidence interval where the
points are replicated over seeds. The sweep definitions are the config's ``sweeps:`` mapping."""

from __future__ import annotations

from pathlib import Path

from rnnlab.config.sweeps import WORD, segment_key, split_name
from rnnlab.errors import DataError
from rnnlab.plots import log_perplexity_axis, pyplot, save_figure, variant_styles
from rnnlab.report.stats import Group, summarise, values_of

PANELS = (("best_val_perplexity", "best held-out perplexity"),
          ("train_perplexity", "final training perplexity"),
          ("tokens_per_second", "training tokens/s"))


def check_sweeps(sweeps) -> dict:
    """The ``sweeps:`` mapping as the report needs it (name -> {base: [...], grid: {key:
    [...]}}), or a DataError naming the bad entry."""
    if not isinstance(sweeps, dict):
        raise DataError(f"--sweeps: expected a mapping of sweep names, got {sweeps!r:.80}")
    for name, spec in sweeps.items():
        if not (isinstance(name, str) and WORD.fullmatch(name)):
            raise DataError(f"--sweeps: sweep name {name!r:.60} cannot be part of a file name "
                            "(letters, digits and '_')")
        if not (isinstance(spec, dict) and isinstance(spec.get("base"), list)
                and spec["base"] and all(isinstance(b, str) for b in spec["base"])):
            raise DataError(f"--sweeps: sweep {name!r} needs base, a non-empty list of names")
        grid = spec.get("grid")
        if not (isinstance(grid, dict) and grid and all(
                isinstance(v, list) and v for v in grid.values())):
            raise DataError(f"--sweeps: sweep {name!r} needs grid, a mapping of keys to "
                            "non-empty lists")
    return sweeps


def sweep_members(spec: dict, base: str, runs: list[dict]) -> list[dict]:
    """The runs of one base in a sweep: the base itself and every variant generated from it by
    this sweep's grid (named <base>--<key>-<value>..., keys in grid order)."""
    keys = list(spec["grid"])
    members = []
    for metrics in runs:
        name = metrics["variant"]
        if name == base:
            members.append(metrics)
            continue
        head, segments = split_name(name)
        used = [segment_key(seg) for seg in segments]
        if head == base and segments and all(k in keys for k in used) \
                and used == [k for k in keys if k in used]:
            members.append(metrics)
    return members


def _x_axis(ax, xs: list) -> None:
    """Ticks at the swept values, labelled as plain numbers; a log axis for positive values
    spread over a factor of 8 or more."""
    from matplotlib.ticker import NullFormatter

    numbers = sorted({x for x in xs if isinstance(x, (int, float)) and not isinstance(x, bool)})
    if not numbers or len(numbers) != len(set(xs)):
        return  # text values: matplotlib's categorical axis
    if numbers[0] > 0 and numbers[-1] / numbers[0] >= 8:
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(NullFormatter())
    if len(numbers) <= 12:
        ax.set_xticks(numbers, [f"{x:g}" for x in numbers])


def _label(base: str, other: tuple) -> str:
    return base + "".join(f", {key} {value}" for key, value in other)


def _draw_key(row, key: str, spec: dict, runs: list[dict], groups: list[Group]) -> bool:
    """One row of panels: ``key`` against each result. Returns whether anything was drawn."""
    group_of = {m["variant"]: g for g in groups for m in g.members}
    lines: dict[tuple, dict] = {}
    for base in spec["base"]:
        for metrics in sweep_members(spec, base, runs):
            other = tuple((k, metrics.get(k)) for k in spec["grid"] if k not in (key, "seed"))
            line = lines.setdefault((base, other), {"cell": metrics["cell"],
                                                    "impl": metrics["impl"], "points": {}})
            if key == "seed":  # each run is a point; its replicate group gives the band
                line["points"][metrics.get("seed")] = Group(metrics["variant"], [metrics])
                line["band"] = group_of[metrics["variant"]]
            else:
                line["points"][metrics.get(key)] = group_of[metrics["variant"]]
    styles = variant_styles([(line["cell"], line["impl"]) for line in lines.values()])
    for ax, (result, label) in zip(row, PANELS, strict=True):
        xs_all = []
        for ((base, other), line), style in zip(lines.items(), styles, strict=True):
            points = sorted(line["points"].items(), key=lambda item: str(item[0])
                            if isinstance(item[0], (str, bool)) else item[0])
            xs, means, errors = [], [], []
            for x, group in points:
                values = values_of(group, result)
                if not values:
                    continue
                summary = summarise(values)
                xs.append(str(x) if isinstance(x, (str, bool)) else x)
                means.append(summary.mean)
                errors.append(summary.ci95 or 0.0)
            if not xs:
                continue
            xs_all += xs
            ax.errorbar(xs, means, yerr=errors, marker="o", capsize=3, label=_label(base, other),
                        color=style["color"], linestyle=style["linestyle"]
                        if key != "seed" else "none")
            band = line.get("band")
            band_values = values_of(band, result) if band is not None else None
            if band_values and len(band_values) >= 2:
                summary = summarise(band_values)
                ax.axhline(summary.mean, color=style["color"], linewidth=1)
                ax.axhspan(summary.mean - summary.ci95, summary.mean + summary.ci95,
                           color=style["color"], alpha=0.15)
        if not xs_all:
            ax.text(0.5, 0.5, "no runs", ha="center", va="center", transform=ax.transAxes)
        ax.set(xlabel=key, ylabel=label)
        if result != "tokens_per_second":
            log_perplexity_axis(ax)
        else:
            ax.grid(True, alpha=0.3)
        if xs_all:
            _x_axis(ax, xs_all)
    return bool(lines)


def sweep_figure(name: str, spec: dict, runs: list[dict], groups: list[Group]):
    """The figure of sweep-<name>.png: a row of three panels per swept key (seed only when it is
    the sole key), one line per base; error bars are 95% confidence intervals over seeds."""
    plt = pyplot()
    keys = [k for k in spec["grid"] if k != "seed"] or ["seed"]
    fig, axes = plt.subplots(len(keys), len(PANELS), figsize=(14, 3.8 * len(keys)),
                             squeeze=False, layout="constrained")
    drawn = False
    for row, key in zip(axes, keys, strict=True):
        drawn |= _draw_key(row, key, spec, runs, groups)
    title = f"Sweep {name}: {', '.join(spec['base'])} over {', '.join(spec['grid'])}"
    if not drawn:
        title += " (none of its variants are in the report)"
    fig.suptitle(title + "; bars: mean ± 95% CI over seeds where replicated")
    handles, labels = axes[0][0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="outside right upper", fontsize=8)
    return fig


def plot_sweep(name: str, spec: dict, runs: list[dict], groups: list[Group], path: Path) -> Path:
    """sweep-<name>.png (see sweep_figure)."""
    return save_figure(sweep_figure(name, spec, runs, groups), path)
