"""comparison.md: the header, the comparison table, the lab's answers and the figures. Text
that comes from the runs (variant names, prefixes, predictions, folders) is escaped for
Markdown renderers, which pass raw HTML through: it reads as the same text and never as markup
(the HTML page escapes it for the browser in rnnlab.report.html)."""

from __future__ import annotations

import re

from rnnlab.report.tables import NUMBER_HEADERS, display_rows, prediction_header, shown_columns

TABLE_NOTE = ("Perplexities are final (after the last epoch) unless marked best; best epoch is "
              "the epoch of the best held-out perplexity (its weights are in best.pt); train s "
              "counts the training epochs only; overlap is the share of a variant's training "
              "time during which other training jobs ran too. A group of replicates (variants "
              "that differ only in seed) shows mean ± 95% confidence interval over its n runs.")
FIGURES = (("perplexity.png", "perplexity"), ("gru_vs_lstm.png", "deep GRU against deep LSTM"),
           ("speed.png", "training speed"))


# HTML's special characters become entities; Markdown's link, code and escape characters and
# the table's '|' are backslash-escaped; a line break would end a table row or a paragraph.
MARKDOWN_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\\": "\\\\", "`": "\\`",
                    "[": "\\[", "]": "\\]", "|": "\\|", "\n": " ", "\r": " "}


def text(value: str) -> str:
    """``value`` as Markdown text that renders as itself and carries no markup."""
    return "".join(MARKDOWN_ESCAPES.get(char, char) for char in value)


def code(value: str) -> str:
    """``value`` as a Markdown code span inside a table cell: fenced by more backticks than any
    run inside it, '|' escaped (GitHub's tables split on it even in code), one line."""
    value = re.sub(r"[\r\n]", " ", value).replace("|", "\\|")
    fence = "`" * (max(map(len, re.findall("`+", value)), default=0) + 1)
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def markdown_table(rows: list[dict], prefix: str | None, groups) -> str:
    """The comparison table (one row per replicate group) through pandas' to_markdown, numbers
    right-aligned, every cell escaped and the predictions as code."""
    import pandas as pd

    shown = display_rows(rows, prefix, groups)
    predictions = prediction_header(prefix)
    headers = [*(header for header, _, _ in shown_columns(rows)), predictions]
    cells = [[text(row[h]) for h in headers[:-1]]
             + [code(row[predictions]) if row[predictions] else ""] for row in shown]
    frame = pd.DataFrame(cells, columns=[text(h) for h in headers])
    return frame.to_markdown(index=False, disable_numparse=True, colalign=[
        "right" if h in NUMBER_HEADERS else "left" for h in headers])


def render_markdown(report: dict) -> str:
    """The Markdown text of a report (the dict rnnlab.report.build_report assembles)."""
    answers = report["answers"]
    lines = [f"# {text(report['title'])}", "", text(report["context"]), "",
             text(report["overlap"]), "",
             markdown_table(report["rows"], report["prefix"], report["groups"]), "",
             TABLE_NOTE, "",
             "## The lab's questions", "",
             "### A deeper RNN (exercise 8.6-2)", "", text(answers["deep_rnn"]), "",
             "### Deep GRU against deep LSTM (exercise 9.3-2)", "",
             text(answers["gru_vs_lstm"]), "",
             "### Scratch against torch.nn (training speed)", "",
             *(f"- {text(line)}" for line in answers["scratch_vs_torch"]), "",
             "### Memorisation: training against held-out perplexity", "",
             text(answers["memorisation"]), ""]
    if report["replicates"]:
        lines += ["Replicate groups, their n, mean, standard deviation and 95% confidence "
                  "intervals: replicates.csv.", ""]
    lines += ["## Figures", ""]
    for name, alt in [*FIGURES, *((f"sweep-{sweep}.png", f"sweep {sweep}")
                                  for sweep in report["sweeps"])]:
        lines += [f"![{alt}]({name})", ""]
    return "\n".join(lines)
