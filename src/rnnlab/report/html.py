"""comparison.html: the comparison table, the lab's answers and the figures in one file that
stands alone (the PNGs are embedded as base64), for a browser and for ``snakemake --report``.
The page is a Jinja2 template with autoescaping, and the table is pandas' own HTML rendering
with escaping on, so variant names, prefixes and predictions cannot inject markup."""

from __future__ import annotations

import base64
from pathlib import Path

from rnnlab.report.markdown import TABLE_NOTE
from rnnlab.report.tables import NUMBER_HEADERS, display_rows, prediction_header

TEMPLATE = "comparison.html.j2"
CAPTIONS = {
    "perplexity.png": "Training (left) and held-out (right) perplexity per epoch. Colour by "
                      "cell, line style by implementation (solid torch.nn, dashed scratch); a "
                      "star marks each variant's best held-out epoch.",
    "gru_vs_lstm.png": "Exercise 9.3-2: deep GRU against deep LSTM, per epoch and per "
                       "second of training.",
    "speed.png": "Training tokens per second of each variant (training loop only); error "
                 "bars are 95% confidence intervals over seeds.",
}
SWEEP_CAPTION = ("Sweep {name}: each swept key against best held-out perplexity, final training "
                 "perplexity and training tokens/s; error bars are 95% confidence intervals over "
                 "seeds where replicated.")


def _table(rows: list[dict], prefix: str | None, groups) -> str:
    import pandas as pd

    frame = pd.DataFrame(display_rows(rows, prefix, groups))
    styler = frame.style.hide(axis="index").format(escape="html")
    styler = styler.format_index(escape="html", axis="columns")
    styler = styler.set_table_attributes('class="comparison"')
    styler = styler.set_td_classes(pd.DataFrame(
        [["number" if h in NUMBER_HEADERS else
          "prediction" if h == prediction_header(prefix) else "" for h in frame.columns]]
        * len(frame), index=frame.index, columns=frame.columns))
    return styler.to_html()


def _replicates_table(rows: list[dict]) -> str:
    """The groups of replicates.csv as text: n, then mean ± 95% CI (standard deviation)."""
    import pandas as pd

    from rnnlab.report.answers import STAT_LABELS as labels
    from rnnlab.report.stats import RESULT_KEYS

    shown = []
    for row in rows:
        cells = {"group": row["group"], "n": str(row["n"])}
        for key in (key for key in RESULT_KEYS if f"{key}_mean" in row):
            mean, std, ci95 = (row[f"{key}_{part}"] for part in ("mean", "std", "ci95"))
            number = "{:,.0f}" if key == "tokens_per_second" else "{:.3f}"
            cells[labels[key]] = ("n/a" if mean is None else
                                  f"{number.format(mean)} ± {number.format(ci95)} "
                                  f"(sd {number.format(std)})")
        shown.append(cells)
    styler = pd.DataFrame(shown).style.hide(axis="index").format(escape="html")
    styler = styler.format_index(escape="html", axis="columns")
    return styler.set_table_attributes('class="comparison"').to_html()


def _figure(path: Path) -> dict:
    return {"data": base64.b64encode(path.read_bytes()).decode("ascii"),
            "alt": path.stem.replace("_", " "),
            "caption": CAPTIONS.get(path.name) or SWEEP_CAPTION.format(
                name=path.stem.removeprefix("sweep-"))}


def render_html(report: dict, figures: list[Path]) -> str:
    """The page of a report (the dict rnnlab.report.build_report assembles), with ``figures``
    (PNG files) embedded in order."""
    import jinja2
    from markupsafe import Markup

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).parent),
                             autoescape=True, undefined=jinja2.StrictUndefined)
    return env.get_template(TEMPLATE).render(
        report=report, table=Markup(_table(report["rows"], report["prefix"], report["groups"])),
        table_note=TABLE_NOTE, figures=[_figure(path) for path in figures],
        replicates=Markup(_replicates_table(report["replicates"])) if report["replicates"]
        else None)
