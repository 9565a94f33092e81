"""Tests of rnnlab.report.html: comparison.html stands alone and escapes user text."""

import base64
import re

from report_inputs import fake_metrics, write_models

from rnnlab.report import VARIANT_ORDER, build_report


def test_html_stands_alone_with_table_answers_and_figures(ten_report):
    """comparison.html holds the table (one row per variant), every answer and the three figures
    embedded as base64 PNGs, with no link to another file."""
    out, summary, _ = ten_report
    page = (out / "comparison.html").read_text()
    assert page.startswith("<!DOCTYPE html>")
    body = page.split("<tbody>")[1].split("</tbody>")[0]
    assert body.count("<tr") == 10
    for variant in VARIANT_ORDER:
        assert f">{variant}</td>" in page
    assert "lstm_concise against lstm_scratch: torch.nn trains 3.00x faster" in page
    images = re.findall(r'<img src="([^"]+)"', page)
    assert len(images) == 3 and all(src.startswith("data:image/png;base64,") for src in images)
    for src, name in zip(images, ["perplexity.png", "gru_vs_lstm.png", "speed.png"],
                         strict=True):
        assert base64.b64decode(src.split(",", 1)[1]) == (out / name).read_bytes()
    assert "Every variant trained alone" in page


def test_html_escapes_user_text(tmp_path, no_plots):
    """A variant name, prefix and prediction holding markup reach the page as text, never as
    tags; the table is headed by the configured prefix."""
    predictions = {"<i>the": "<script>alert(1)</script> |"}
    runs = [fake_metrics(name, predictions=predictions) for name in ("x<b>bold", "gru_deep")]
    build_report(write_models(tmp_path / "models", *runs), tmp_path / "report")
    page = (tmp_path / "report" / "comparison.html").read_text()
    assert "<script>" not in page and "<b>bold" not in page and "<i>the" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; |" in page
    assert "x&lt;b&gt;bold" in page and "&#34;&lt;i&gt;the&#34; →" in page

