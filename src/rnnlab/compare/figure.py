"""compare.png: one panel per result, a horizontal bar per variant with its change from A to B
in percent; green where B is better (lower perplexity, more tokens per second), red where it is
worse, '*' where Welch's test finds the change significant, and the side a variant exists on
when it is on one side only."""

from __future__ import annotations

from pathlib import Path

from rnnlab.compare.table import RESULTS
from rnnlab.plots import pyplot, save_figure
from rnnlab.report.stats import SIGNIFICANCE

HIGHER_IS_BETTER = {"tokens_per_second"}


def _panel(ax, rows: list[dict], key: str, header: str) -> None:
    positions = range(len(rows))
    changes = [row[f"{key}_change_pct"] for row in rows]
    better = [(c > 0) == (key in HIGHER_IS_BETTER) for c in (c or 0 for c in changes)]
    ax.barh(positions, [c or 0 for c in changes],
            color=["tab:green" if b else "tab:red" for b in better])
    ax.axvline(0, color="black", linewidth=0.8)
    for y, (row, change) in enumerate(zip(rows, changes, strict=True)):
        p = row[f"{key}_welch_p"]
        if change is None:
            note = row["present"] if row["present"] != "both" else "n/a"
            ax.text(0, y, f" {note}", va="center", fontsize=8, color="dimgray")
        elif p is not None and p < SIGNIFICANCE:
            ax.text(change, y, " *" if change >= 0 else "* ", va="center", fontsize=11,
                    ha="left" if change >= 0 else "right")
    ax.set(title=header, xlabel="change A → B (%)")
    ax.grid(True, axis="x", alpha=0.3)


def plot_compare(rows: list[dict], path: str | Path, labels: tuple[str, str]) -> Path:
    """compare.png of the rows of compare_rows (see the module's docstring)."""
    plt = pyplot()
    shown = [(key, header) for key, header, _ in RESULTS
             if any(row[f"{key}_a"] is not None or row[f"{key}_b"] is not None for row in rows)]
    fig, axes = plt.subplots(1, len(shown), figsize=(3.2 * len(shown) + 1.5,
                                                      1.2 + 0.35 * len(rows)),
                             sharey=True, layout="constrained", squeeze=False)
    for ax, (key, header) in zip(axes[0], shown, strict=True):
        _panel(ax, rows, key, header)
    axes[0][0].set_yticks(range(len(rows)), [row["variant"] for row in rows])
    axes[0][0].invert_yaxis()
    fig.suptitle(f"A: {labels[0]}   B: {labels[1]}   (* Welch p < {SIGNIFICANCE:g})",
                 fontsize=9)
    return save_figure(fig, path)
