"""``rnnlab compare A B``: two results folders (or two comparison.csv files) side by side. For
every variant (or replicate group) on either side: best held-out, test and final training
perplexity and tokens per second on both sides with the change, Welch's t-test where both sides
have replicates, the settings that differ, and which side a variant is missing from. Written as
compare.md, compare.csv and compare.png.

The package is split by concept: sides (reading one side), table (the rows and the Markdown)
and figure (the PNG)."""

from __future__ import annotations

from pathlib import Path

from rnnlab.compare.figure import plot_compare
from rnnlab.compare.sides import Side, load_side
from rnnlab.compare.table import compare_rows, markdown_table, write_csv
from rnnlab.fileio import atomic_write_text
from rnnlab.report.markdown import text

OUTPUTS = ("compare.md", "compare.csv", "compare.png")
__all__ = ["OUTPUTS", "Side", "compare", "compare_rows", "load_side", "render_markdown"]


def _describe(name: str, side: Side) -> str:
    count = len(side.runs)
    return f"{name}: {text(str(side.source))} ({count} variant{'s' if count != 1 else ''})"


def render_markdown(side_a: Side, side_b: Side, rows: list[dict]) -> str:
    """The comparison as a Markdown document: which side is which, then the table; text from the
    sides (folders, names, settings) escaped as comparison.md escapes it."""
    only = [f"{text(row['variant'])} ({row['present']})" for row in rows
            if row["present"] != "both"]
    lines = ["# rnnlab: comparison of two results", "", f"- {_describe('A', side_a)}",
             f"- {_describe('B', side_b)}",
             f"- on one side only: {', '.join(only) if only else 'none'}", "",
             "Changes are B against A; Welch's t-test (two-sided) where both sides have "
             "replicates (variants that differ only in seed).", "", *markdown_table(rows)]
    return "\n".join(lines) + "\n"


def compare(path_a: str | Path, path_b: str | Path,
            out_dir: str | Path | None = None) -> dict:
    """Compare two sides; with ``out_dir`` write OUTPUTS there, each atomically. Returns
    {rows, markdown, files}."""
    side_a, side_b = load_side(path_a), load_side(path_b)
    rows = compare_rows(side_a, side_b)
    markdown = render_markdown(side_a, side_b, rows)
    files = []
    if out_dir is not None:
        out = Path(out_dir)
        files = [atomic_write_text(out / "compare.md", markdown),
                 write_csv(rows, out / "compare.csv"),
                 plot_compare(rows, out / "compare.png", (str(path_a), str(path_b)))]
    return {"rows": rows, "markdown": markdown, "files": files}
