"""The comparison table: one row per variant as numbers (comparison.csv), and one row per
replicate group as display text with readable headers (mean ± 95% CI where a group has several
seeds), shared by comparison.md and comparison.html."""

from __future__ import annotations

from pathlib import Path

from rnnlab.fileio import atomic_write_text
from rnnlab.report.formats import ppl, used_device
from rnnlab.report.overlap import percent
from rnnlab.report.stats import Group, summarise

COLUMNS = ("variant", "cell", "impl", "layers", "hidden", "lr", "sampling", "epochs",
           "num_params", "train_perplexity", "val_perplexity", "best_val_perplexity",
           "best_epoch", "test_perplexity", "val_train_ratio", "train_seconds",
           "tokens_per_second", "overlap", "device", "prediction")


def prediction_prefix(runs: list[dict]) -> str | None:
    """The configured prefix whose continuation the table shows: the first prefix of the first
    variant that has predictions (rnnlab train writes them in the config's order)."""
    for metrics in runs:
        if metrics.get("predictions"):
            return next(iter(metrics["predictions"]))
    return None


def _prediction(metrics: dict, prefix: str | None) -> str:
    predictions = metrics.get("predictions") or {}
    if not predictions:
        return ""
    return predictions.get(prefix, next(iter(predictions.values())))


def summary_row(metrics: dict, prefix: str | None, overlap: float | None) -> dict:
    """One row of the comparison table (the keys of COLUMNS); ``overlap`` is the share of the
    variant's training time that other jobs overlapped (None: not recorded)."""
    train, val = metrics["train_perplexity"], metrics.get("val_perplexity")
    row = {key: metrics.get(key) for key in COLUMNS}
    row.update(sampling=metrics.get("sampling", ""), prediction=_prediction(metrics, prefix),
               device=used_device(metrics),
               val_train_ratio=val / train if val is not None and train > 0 else None,
               overlap=overlap)
    return row


def write_csv(rows: list[dict], path: Path) -> Path:
    import pandas as pd

    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    return atomic_write_text(path, frame.to_csv(index=False))


def _optional(fmt):
    return lambda value: "n/a" if value is None else fmt(value)


DISPLAY_COLUMNS = (  # header, row key, format; numbers (right-aligned) from "layers" on
    ("variant", "variant", str), ("cell", "cell", str), ("impl", "impl", str),
    ("sampling", "sampling", str), ("device", "device", str), ("layers", "layers", str),
    ("hidden", "hidden", str), ("lr", "lr", "{:g}".format), ("epochs", "epochs", str),
    ("params", "num_params", "{:,}".format), ("train ppl", "train_perplexity", ppl),
    ("held-out ppl", "val_perplexity", ppl), ("best held-out", "best_val_perplexity", ppl),
    ("best epoch", "best_epoch", _optional("{:d}".format)),
    ("test ppl", "test_perplexity", _optional(ppl)),
    ("held-out/train", "val_train_ratio", lambda v: ppl(v) + "x" * (v is not None)),
    ("train s", "train_seconds", "{:.1f}".format),
    ("tokens/s", "tokens_per_second", "{:,.0f}".format),
    ("overlap", "overlap", percent),
)
NUMBER_HEADERS = [header for header, _, _ in DISPLAY_COLUMNS[5:-1]]


def prediction_header(prefix: str | None) -> str:
    return f'"{prefix}" →' if prefix is not None else "prediction"


# The columns a group of replicates shows as mean ± 95% CI.
GROUP_KEYS = ("train_perplexity", "val_perplexity", "best_val_perplexity", "val_train_ratio",
              "train_seconds", "tokens_per_second", "test_perplexity")


def shown_columns(rows: list[dict]) -> list[tuple]:
    """DISPLAY_COLUMNS, without test perplexity when no variant has a test split."""
    has_test = any(row.get("test_perplexity") is not None for row in rows)
    return [c for c in DISPLAY_COLUMNS if has_test or c[1] != "test_perplexity"]


def _group_cells(group: Group, rows: list[dict]) -> dict:
    """The display cells of a group of two or more replicates."""
    cells = {"variant": f"{group.name} (n = {group.n})"}
    for header, key, fmt in shown_columns(rows):
        values = [row[key] for row in rows]
        if key in GROUP_KEYS and None not in values:
            summary = summarise(values)
            cells[header] = f"{fmt(summary.mean)} ± {fmt(summary.ci95)}"
    epochs = [row["best_epoch"] for row in rows]
    if None not in epochs and len(set(epochs)) > 1:
        cells["best epoch"] = f"{min(epochs)}-{max(epochs)}"
    overlaps = [row["overlap"] for row in rows]
    cells["overlap"] = percent(None if None in overlaps else max(overlaps))
    return cells


def display_rows(rows: list[dict], prefix: str | None, groups: list[Group]) -> list[dict]:
    """One row of text per group under readable headers, the prediction (of the group's first
    member) last under its prefix."""
    by_variant = {row["variant"]: row for row in rows}
    shown = []
    for group in groups:
        members = [by_variant[name] for name in group.variants]
        cells = {header: fmt(members[0][key]) for header, key, fmt in shown_columns(rows)}
        if group.n > 1:
            cells.update(_group_cells(group, members))
        shown.append({**cells, prediction_header(prefix): members[0]["prediction"]})
    return shown
