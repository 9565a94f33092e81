"""Perplexity plots with matplotlib's Agg backend, written atomically as PNG. matplotlib is
imported only when a plot is drawn, so the training path does not pay for it until the end."""

from __future__ import annotations

from pathlib import Path

from rnnlab.fileio import atomic_write


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


def plot_curve(history: list[dict], variant: str, path: str | Path) -> Path:
    """Training and held-out perplexity per epoch of one variant."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
    ax.plot([row["epoch"] for row in history], [row["train_perplexity"] for row in history],
            label="train")
    held_out = [(row["epoch"], row["val_perplexity"]) for row in history
                if row.get("val_perplexity") is not None]
    if held_out:
        ax.plot(*zip(*held_out, strict=True), marker="o", markersize=3, label="held-out")
    ax.set(title=variant, xlabel="epoch", ylabel="perplexity", yscale="log")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    return save_figure(fig, path)
