"""``rnnlab report``: read every ``<models>/*/metrics.json`` and write the comparison of the
variants: comparison.csv and comparison.md (a table, then the lab's questions answered from the
measured numbers), perplexity.png, gru_vs_lstm.png and speed.png.

The package is split by concept: metrics (reading and checking metrics.json), tables (the
comparison table as CSV and Markdown), answers (the lab's questions), figures (the PNGs) and
formats (how numbers read). pandas and matplotlib are imported only when a report is built, so
importing this package is fast."""

from __future__ import annotations

from pathlib import Path

from rnnlab.fileio import atomic_write_text
from rnnlab.report import figures
from rnnlab.report.answers import answer_questions, deep_pair
from rnnlab.report.metrics import VARIANT_ORDER, load_metrics, read_metrics
from rnnlab.report.tables import COLUMNS, render_markdown, summary_row, write_csv

OUTPUTS = ("comparison.csv", "comparison.md", "perplexity.png", "gru_vs_lstm.png", "speed.png")
__all__ = ["COLUMNS", "OUTPUTS", "VARIANT_ORDER", "build_report", "load_metrics", "read_metrics"]


def build_report(models_dir: str | Path, out_dir: str | Path,
                 variants: list[str] | None = None) -> dict:
    """Read ``models_dir/*/metrics.json`` (only ``variants`` if given) and write OUTPUTS under
    ``out_dir``, each atomically. Returns {variants, rows, answers, files}."""
    runs = load_metrics(models_dir, variants)
    rows = [summary_row(m) for m in runs]
    answers = answer_questions(runs)
    out = Path(out_dir)
    files = [write_csv(rows, out / "comparison.csv"),
             atomic_write_text(out / "comparison.md",
                               render_markdown(rows, answers, runs, models_dir)),
             figures.plot_perplexity(runs, out / "perplexity.png"),
             figures.plot_gru_vs_lstm(*deep_pair(runs), out / "gru_vs_lstm.png"),
             figures.plot_speed(runs, out / "speed.png")]
    return {"variants": [m["variant"] for m in runs], "rows": rows, "answers": answers,
            "files": files}
