"""Tests of rnnlab.report.markdown: comparison.md's header, table and answers, and user text
escaped so that no Markdown renderer sees markup in it."""

import re

import pytest
from report_inputs import fake_metrics, md_of, md_table, write_models

from rnnlab.report import build_report
from rnnlab.report.markdown import code, text


def test_markdown_has_header_table_and_four_answers(ten_report):
    """comparison.md has the header, one table row per variant and every question answered."""
    out, summary, _ = ten_report
    md = (out / "comparison.md").read_text()
    assert md.startswith("# rnnlab: comparison of 10 variants")
    assert "Device(s): cpu" in md and "torch 9.9.9-test" in md
    table = md_table(md)
    assert len(table) == 10
    assert list(table[0].values())[:7] == ["rnn_scratch", "rnn", "scratch", "sequential", "cpu",
                                           "1", "512"]
    lstm = next(row for row in table if row["variant"] == "lstm_scratch")
    assert [lstm[h] for h in ("train ppl", "held-out ppl", "best held-out", "best epoch",
                              "held-out/train")] == ["1.05", "8.00", "8.00", "20", "7.62x"]
    concise = next(row for row in table if row["variant"] == "lstm_concise")
    assert (concise["tokens/s"], concise["overlap"]) == ("15,000", "none")
    separator = next(line for line in md.splitlines() if line.startswith("|:"))
    assert separator.count(":|") == len(table[0]) - 7  # numbers right-aligned
    for heading in ("exercise 8.6-2", "exercise 9.3-2", "Scratch against torch.nn",
                    "Memorisation"):
        assert heading in md
    assert "cannot be answered" not in md
    assert set(summary["answers"]) == {"deep_rnn", "gru_vs_lstm", "scratch_vs_torch",
                                       "memorisation"}


HOSTILE = ["<script>alert(1)</script>", '<img src=x onerror="alert(1)">', "a|b", "`x` [l](j:s)",
           "line\nbreak"]


@pytest.mark.parametrize("value", HOSTILE)
def test_text_and_code_carry_no_markup(value):
    """Escaped text has no '<' or unescaped '|', '`', '[' or line break; a code span's fence
    is longer than any run of backticks inside it."""
    escaped = text(value)
    assert "<" not in escaped and "\n" not in escaped
    assert not re.search(r"(?<!\\)[|`\[\]]", escaped)
    span = code(value)
    fence = re.match("`+", span).group()
    assert span.endswith(fence) and fence not in span[len(fence):-len(fence)]
    assert "\n" not in span and not re.search(r"(?<!\\)\|", span)


def test_comparison_md_carries_no_raw_html(tmp_path, no_plots):
    """Variant names, prefixes, predictions and the models folder holding <script> and
    <img onerror> reach comparison.md as escaped text: no tag outside a code span, one table
    row per variant."""
    predictions = {"<img src=x onerror=alert(1)>": "<script>alert(1)</script> | `y`"}
    runs = [fake_metrics(name, predictions=predictions)
            for name in ("x<img src=y onerror=alert(2)>", "gru_deep")]
    models = write_models(tmp_path / "<b>models", *runs)
    build_report(models, tmp_path / "report")
    md = (tmp_path / "report" / "comparison.md").read_text()
    outside_code = re.sub(r"(`+)(?!`).*?(?<!`)\1(?!`)", "", md)
    assert not re.search(r"<\s*(script|img|b)\b", outside_code, re.I), outside_code
    assert "x&lt;img src=y onerror=alert(2)&gt;" in md and "&lt;b&gt;models" in md
    table = md_table(md)
    assert [row["variant"] for row in table] == ["gru_deep",
                                                 "x&lt;img src=y onerror=alert(2)&gt;"]
    assert '"&lt;img src=x onerror=alert(1)&gt;" →' in table[0]
    assert table[0]['"&lt;img src=x onerror=alert(1)&gt;" →'] == \
        "`` <script>alert(1)</script> \\| `y` ``"


def test_header_names_the_code_the_runs_trained_with(tmp_path, no_plots):
    """The header gives rnnlab's version and the git commit of each run's metrics.json (with
    uncommitted changes said), and says for how many variants it is not recorded."""
    commit = "0123456789abcdef0123456789abcdef01234567"
    runs = [fake_metrics("gru_deep", rnnlab_version="0.1.0", git_commit=commit,
                         git_dirty=True),
            fake_metrics("lstm_deep", rnnlab_version="0.1.0", git_commit=None, git_dirty=None),
            fake_metrics("rnn_deep")]
    md = md_of(tmp_path, *runs)
    assert ("torch 9.9.9-test. rnnlab 0.1.0; rnnlab 0.1.0 at commit 0123456789ab with "
            "uncommitted changes (not recorded for 1 of 3 variants).") in md
    assert "rnnlab 0" not in md_of(tmp_path / "old", fake_metrics("rnn_deep"))
