"""Tests of rnnlab.report.build_report: it reads what training writes, and importing the
package stays light."""

import subprocess
import sys

import pandas as pd
from helpers import tiny_config
from report_inputs import PNG_MAGIC, PNGS

from rnnlab.config import resolve_variant, validate_config
from rnnlab.report import build_report


def test_report_of_a_real_training_run(tiny_data, tmp_path):
    """The report reads what rnnlab.training writes (one epoch of a tiny deep LSTM with
    device: auto): the device it used, and the rnnlab version and commit it trained with."""
    from rnnlab.training import train

    settings = resolve_variant(validate_config(tiny_config(epochs=1, device="auto")), "lstm")
    metrics = train(settings, tiny_data, tmp_path / "models" / "lstm", progress=False)
    summary = build_report(tmp_path / "models", tmp_path / "report")
    (row,) = summary["rows"]
    assert metrics["device"] == "auto" and metrics["device_used"] in ("cpu", "cuda")
    assert row["variant"] == "lstm" and row["layers"] == 2
    assert row["device"] == metrics["device_used"]
    assert row["train_perplexity"] == metrics["train_perplexity"]
    assert row["prediction"] == metrics["predictions"]["time traveller"]
    md = (tmp_path / "report" / "comparison.md").read_text()
    assert f"torch {metrics['torch_version']}" in md
    assert f"rnnlab {metrics['rnnlab_version']}" in md
    assert metrics["git_commit"] is None or f"at commit {metrics['git_commit'][:12]}" in md
    assert "Exercise 9.3-2 cannot be answered: there is no deep GRU" in md
    assert pd.read_csv(tmp_path / "report" / "comparison.csv")["variant"].tolist() == ["lstm"]
    for name in PNGS:
        assert (tmp_path / "report" / name).read_bytes()[:8] == PNG_MAGIC


def test_import_does_not_load_pandas_matplotlib_or_torch():
    """Importing rnnlab.report and deciding its files (as the rules do when they parse) stays
    fast: the heavy libraries load only to build a report."""
    code = ("import sys, rnnlab.report; rnnlab.report.report_files([{'variant': 'a'}], []); "
            "print(sorted({'pandas', 'matplotlib', 'torch'} & set(sys.modules)))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"
