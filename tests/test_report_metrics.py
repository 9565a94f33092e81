"""Tests of rnnlab.report.metrics: which metrics.json files the report reads, and one clear
error for a missing folder or a bad file."""

import json
import math
import re
from pathlib import Path

import pytest
from helpers import rnnlab
from report_inputs import fake_metrics, write_models

from rnnlab.errors import RnnlabError
from rnnlab.report import build_report


def test_variants_selects_a_subset(tmp_path, no_plots):
    """``variants`` keeps only the named runs, and a named run without metrics is an error."""
    models = write_models(tmp_path / "models", fake_metrics("gru_deep"), fake_metrics("lstm_deep"))
    summary = build_report(models, tmp_path / "report", variants=["lstm_deep"])
    assert summary["variants"] == ["lstm_deep"]
    with pytest.raises(RnnlabError, match="rnn_deep"):
        build_report(models, tmp_path / "report", variants=["lstm_deep", "rnn_deep"])


def corrupt(path: Path, case: str) -> None:
    good = fake_metrics("gru_deep")
    text = {
        "not json": "{not json",
        "not an object": "[1, 2]",
        "missing key": json.dumps({k: v for k, v in good.items() if k != "tokens_per_second"}),
        "empty history": json.dumps({**good, "history": []}),
        "bad history row": json.dumps({**good, "history": [{"epoch": 1}]}),
        "text perplexity": json.dumps({**good, "train_perplexity": "low"}),
        "nan perplexity": json.dumps({**good, "val_perplexity": math.nan}),
    }[case]
    path.parent.mkdir(parents=True)
    path.write_text(text)


@pytest.mark.parametrize("case", ["not json", "not an object", "missing key", "empty history",
                                  "bad history row", "text perplexity", "nan perplexity"])
def test_bad_metrics_raise_naming_the_file(case, tmp_path):
    """A corrupt or incomplete metrics.json is an RnnlabError that names the file."""
    write_models(tmp_path / "models", fake_metrics("lstm_deep"))
    bad = tmp_path / "models" / "gru_deep" / "metrics.json"
    corrupt(bad, case)
    with pytest.raises(RnnlabError, match=re.escape(str(bad))):
        build_report(tmp_path / "models", tmp_path / "report")
    assert not (tmp_path / "report").exists()


@pytest.mark.parametrize("case", ["missing dir", "empty dir", "no metrics"])
def test_no_metrics_raise_naming_the_dir(case, tmp_path):
    """A missing models directory, or one without */metrics.json, is an RnnlabError."""
    models = tmp_path / "models"
    if case != "missing dir":
        models.mkdir()
    if case == "no metrics":
        (models / "gru_deep").mkdir()
        (models / "gru_deep" / "checkpoint.pt").write_bytes(b"")
    with pytest.raises(RnnlabError, match=re.escape(str(models))):
        build_report(models, tmp_path / "report")


def test_cli_reports_a_missing_dir_in_one_line(tmp_path):
    """``rnnlab report`` on a missing directory exits 1 with an error line, no traceback."""
    result = rnnlab("report", "--models", tmp_path / "nope", "--out", tmp_path / "report")
    assert result.returncode == 1
    assert "error:" in result.stderr and "nope" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("edit, key", [
    (lambda m: m["history"][3].update(val_perplexity="abc"), "history[3].val_perplexity"),
    (lambda m: m["history"][0].update(seconds=None), "history[0].seconds"),
    (lambda m: m.update(best_epoch="5"), "best_epoch"),
    (lambda m: m.update(train_ended=m["train_started"] - 1), "train_ended"),
    (lambda m: m.update(predictions={"the": 3}), "predictions"),
    (lambda m: m.update(history={"epoch": 1}), "history"),
    (lambda m: m.update(git_commit=12), "git_commit"),
    (lambda m: m.update(git_dirty=1), "git_dirty"),
])
def test_bad_values_give_one_line_naming_file_and_key(edit, key, tmp_path):
    """A wrong value anywhere the report reads is one line of `rnnlab report` naming the file
    and the key, with no traceback and nothing written."""
    metrics = fake_metrics("gru_deep")
    edit(metrics)
    write_models(tmp_path / "models", metrics)
    result = rnnlab("report", "--models", "models", "--out", "report", cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert "'models/gru_deep/metrics.json'" in line
    assert f"bad value: {key}:" in line
    assert not (tmp_path / "report").exists()
