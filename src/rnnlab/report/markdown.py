"""comparison.md: the header, the comparison table, the lab's answers and the figures."""

from __future__ import annotations

from rnnlab.report.tables import markdown_table

TABLE_NOTE = ("Perplexities are final (after the last epoch) unless marked best; best epoch is "
              "the epoch of the best held-out perplexity (its weights are in best.pt); train s "
              "counts the training epochs only; overlap is the share of a variant's training "
              "time during which other training jobs ran too. A group of replicates (variants "
              "that differ only in seed) shows mean ± 95% confidence interval over its n runs.")
FIGURES = (("perplexity.png", "perplexity"), ("gru_vs_lstm.png", "deep GRU against deep LSTM"),
           ("speed.png", "training speed"))


def render_markdown(report: dict) -> str:
    """The Markdown text of a report (the dict rnnlab.report.build_report assembles)."""
    answers = report["answers"]
    lines = [f"# {report['title']}", "", report["context"], "", report["overlap"], "",
             *markdown_table(report["rows"], report["prefix"], report["groups"]), "",
             TABLE_NOTE, "",
             "## The lab's questions", "",
             "### A deeper RNN (exercise 8.6-2)", "", answers["deep_rnn"], "",
             "### Deep GRU against deep LSTM (exercise 9.3-2)", "", answers["gru_vs_lstm"], "",
             "### Scratch against torch.nn (training speed)", "",
             *(f"- {line}" for line in answers["scratch_vs_torch"]), "",
             "### Memorisation: training against held-out perplexity", "",
             answers["memorisation"], ""]
    if report["replicates"]:
        lines += ["Replicate groups, their n, mean, standard deviation and 95% confidence "
                  "intervals: replicates.csv.", ""]
    lines += ["## Figures", ""]
    for name, alt in [*FIGURES, *((f"sweep-{sweep}.png", f"sweep {sweep}")
                                  for sweep in report["sweeps"])]:
        lines += [f"![{alt}]({name})", ""]
    return "\n".join(lines)
