"""Tests of rnnlab.report.tables: comparison.csv, the order of the rows, the prediction column
and the optional test perplexity column."""

import pandas as pd
import pytest
from report_inputs import fake_metrics, md_of, md_table, write_models

from rnnlab.report import COLUMNS, OUTPUTS, VARIANT_ORDER, build_report


def test_csv_has_ten_rows_in_design_order(ten_report):
    """comparison.csv has one row per variant, the promised columns and the input numbers."""
    out, summary, runs = ten_report
    frame = pd.read_csv(out / "comparison.csv")
    assert list(frame.columns) == list(COLUMNS) and len(frame) == 10
    assert list(frame["variant"]) == list(VARIANT_ORDER) == summary["variants"]
    by_name = frame.set_index("variant")
    for metrics in runs:
        row = by_name.loc[metrics["variant"]]
        assert row["tokens_per_second"] == pytest.approx(metrics["tokens_per_second"])
        assert row["train_perplexity"] == pytest.approx(metrics["train_perplexity"])
        assert row["val_train_ratio"] == pytest.approx(
            metrics["val_perplexity"] / metrics["train_perplexity"])
        assert row["prediction"] == f"time traveller {metrics['variant']}"
    assert by_name.loc["rnn_scratch_random", "sampling"] == "random"
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUTS)  # no temporary files left


def test_order_prediction_fallback_and_escaping(tmp_path, no_plots):
    """Unknown variants follow the lab's alphabetically; the first prefix stands in for
    'time traveller'; a '|' in a prediction does not break the table."""
    runs = [fake_metrics("zeta", predictions={"the": "the a|b"}), fake_metrics("alpha"),
            fake_metrics("gru_deep")]
    summary = build_report(write_models(tmp_path / "models", *runs), tmp_path / "report")
    assert summary["variants"] == ["gru_deep", "alpha", "zeta"]
    assert summary["rows"][2]["prediction"] == "the a|b"
    md = (tmp_path / "report" / "comparison.md").read_text()
    assert md_table(md)[2]['"time traveller" →'] == "`the a\\|b`"


def test_prediction_column_is_headed_by_the_configured_prefix(tmp_path, no_plots):
    """With prefixes other than 'time traveller', the first configured prefix heads the column."""
    runs = [fake_metrics(v, predictions={"the time": f"the time {v}", "he": "he said"})
            for v in ("gru_deep", "lstm_deep")]
    summary = build_report(write_models(tmp_path / "models", *runs), tmp_path / "report")
    md = (tmp_path / "report" / "comparison.md").read_text()
    assert '"the time" →' in md and "time traveller" not in md
    assert [row["prediction"] for row in summary["rows"]] == ["the time lstm_deep",
                                                               "the time gru_deep"]


def test_test_perplexity_column_only_when_a_variant_has_it(tmp_path, no_plots):
    """comparison.md shows a 'test ppl' column when a variant measured test perplexity (n/a for
    the others) and none for runs without a test split; comparison.csv has the numbers."""
    plain = md_of(tmp_path / "plain", fake_metrics("alpha"), fake_metrics("zeta"))
    assert "test ppl" not in plain
    text = md_of(tmp_path / "words", fake_metrics("alpha", test_perplexity=123.456),
                 fake_metrics("zeta"))
    rows = {row["variant"]: row["test ppl"] for row in md_table(text)}
    assert rows["alpha"].startswith("123.") and rows["zeta"] == "n/a"
    frame = pd.read_csv(tmp_path / "words" / "report" / "comparison.csv")
    assert frame.set_index("variant").loc["alpha", "test_perplexity"] == pytest.approx(123.456)
