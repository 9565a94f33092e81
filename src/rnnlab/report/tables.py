"""The comparison table: one row per variant (comparison.csv) and its Markdown form with the
lab's answers (comparison.md)."""

from __future__ import annotations

from pathlib import Path

from rnnlab.fileio import atomic_write_text
from rnnlab.report.formats import devices, ppl

PREFIX = "time traveller"
COLUMNS = ("variant", "cell", "impl", "layers", "hidden", "lr", "sampling", "epochs",
           "num_params", "train_perplexity", "val_perplexity", "best_val_perplexity",
           "val_train_ratio", "train_seconds", "tokens_per_second", "device", "prediction")


def _prediction(metrics: dict) -> str:
    predictions = metrics.get("predictions")
    if not isinstance(predictions, dict) or not predictions:
        return ""
    return str(predictions.get(PREFIX, next(iter(predictions.values()))))


def summary_row(metrics: dict) -> dict:
    """One row of the comparison table (the keys of COLUMNS)."""
    train, val = metrics["train_perplexity"], metrics.get("val_perplexity")
    row = {key: metrics.get(key) for key in COLUMNS}
    row.update(sampling=metrics.get("sampling", ""), prediction=_prediction(metrics),
               val_train_ratio=val / train if val is not None and train > 0 else None)
    return row


def write_csv(rows: list[dict], path: Path) -> Path:
    import pandas as pd

    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    return atomic_write_text(path, frame.to_csv(index=False))


def _cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


MARKDOWN_COLUMNS = (  # header, row key, format; numbers (right-aligned) from "layers" on
    ("variant", "variant", str), ("cell", "cell", str), ("impl", "impl", str),
    ("sampling", "sampling", str), ("device", "device", str), ("layers", "layers", str),
    ("hidden", "hidden", str), ("lr", "lr", "{:g}".format), ("epochs", "epochs", str),
    ("params", "num_params", "{:,}".format), ("train ppl", "train_perplexity", ppl),
    ("held-out ppl", "val_perplexity", ppl), ("best held-out", "best_val_perplexity", ppl),
    ("held-out/train", "val_train_ratio", lambda v: ppl(v) + "x" * (v is not None)),
    ("train s", "train_seconds", "{:.1f}".format),
    ("tokens/s", "tokens_per_second", "{:,.0f}".format),
    (f'"{PREFIX}" →', "prediction", lambda v: f"`{v}`" if v else ""),
)
_RIGHT = {key for _, key, _ in MARKDOWN_COLUMNS[5:-1]}


def render_markdown(rows: list[dict], answers: dict, runs: list[dict], models_dir) -> str:
    """comparison.md: a header line, the table, the answers and the figures."""
    versions = sorted({str(m["torch_version"]) for m in runs if m.get("torch_version")})
    lines = [f"# rnnlab: comparison of {len(rows)} variant{'s' if len(rows) != 1 else ''}", "",
             f"Models: `{models_dir}`. Device(s): {devices(runs)}. "
             f"torch {', '.join(versions) or 'version unknown'}.",
             "", "| " + " | ".join(h for h, _, _ in MARKDOWN_COLUMNS) + " |",
             "|" + "|".join("---:" if key in _RIGHT else "---" for _, key, _ in MARKDOWN_COLUMNS)
             + "|"]
    for row in rows:
        lines.append("| " + " | ".join(_cell(fmt(row[key])) for _, key, fmt in MARKDOWN_COLUMNS)
                     + " |")
    lines += ["", "Perplexities are final (after the last epoch) unless marked best; "
              "train s counts the training epochs only.", "", "## The lab's questions", "",
              "### A deeper RNN (exercise 8.6-2)", "", answers["deep_rnn"], "",
              "### Deep GRU against deep LSTM (exercise 9.3-2)", "", answers["gru_vs_lstm"], "",
              "### Scratch against torch.nn (training speed)", "",
              *(f"- {line}" for line in answers["scratch_vs_torch"]), "",
              "### Memorisation: training against held-out perplexity", "",
              answers["memorisation"], "", "## Figures", "",
              "![perplexity](perplexity.png)", "", "![deep GRU against deep LSTM](gru_vs_lstm.png)",
              "", "![training speed](speed.png)", ""]
    return "\n".join(lines)
