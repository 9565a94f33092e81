"""Tests of rnnlab.report: the comparison table, the answers derived from the numbers, the
figures, missing variants and bad input. Most inputs are small synthetic metrics.json files."""

import base64
import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from helpers import copy_project, rnnlab, tiny_config

from rnnlab.config import resolve_variant, validate_config
from rnnlab.errors import RnnlabError
from rnnlab.plots import plot_curve
from rnnlab.report import COLUMNS, OUTPUTS, VARIANT_ORDER, build_report, figures, stats, sweeps
from rnnlab.report.overlap import overlap_fractions

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PNGS = [name for name in OUTPUTS if name.endswith(".png")]
# The lab's variants (DESIGN.md): cell, impl, layers, hidden, lr.
LAB = {
    "rnn_scratch": ("rnn", "scratch", 1, 512, 1),
    "rnn_scratch_random": ("rnn", "scratch", 1, 512, 1),
    "rnn_concise": ("rnn", "torch", 1, 256, 1), "rnn_deep": ("rnn", "torch", 2, 256, 1),
    "gru_scratch": ("gru", "scratch", 1, 256, 1), "gru_concise": ("gru", "torch", 1, 256, 1),
    "lstm_scratch": ("lstm", "scratch", 1, 256, 1), "lstm_concise": ("lstm", "torch", 1, 256, 1),
    "lstm_deep": ("lstm", "torch", 2, 256, 2), "gru_deep": ("gru", "torch", 2, 256, 2),
}


def fake_metrics(variant, *, start=25.0, end=1.2, val=4.0, tps=10_000.0, epochs=20,
                 sampling=None, predictions=None, started=None, **settings):
    """A metrics.json as rnnlab.train writes it, with a geometric training curve. Each variant
    trains alone (its own hour after 2026-01-01) unless ``started`` says otherwise."""
    cell, impl, layers, hidden, lr = LAB.get(variant, ("gru", "torch", 1, 64, 1))
    history, tokens = [], 8960
    for epoch in range(1, epochs + 1):
        ppl = start * (end / start) ** ((epoch - 1) / max(epochs - 1, 1))
        row = {"epoch": epoch, "train_perplexity": ppl, "seconds": tokens / tps, "tokens": tokens}
        if val is not None and (epoch % 5 == 0 or epoch == epochs):
            row["val_perplexity"] = val + 0.1 * (epochs - epoch)
        history.append(row)
    metrics = {
        "variant": variant, "cell": cell, "impl": impl, "layers": layers, "hidden": hidden,
        "lr": lr, "epochs": epochs, "batch_size": 32, "num_steps": 35,
        "sampling": sampling or ("random" if variant.endswith("random") else "sequential"),
        "seed": 0, "device": "cpu", "device_name": "cpu", "torch_version": "9.9.9-test",
        "token": "char", "train_tokens": 10000, "val_tokens": 10000, "num_params": 1000 * hidden,
        "train_perplexity": history[-1]["train_perplexity"], "val_perplexity": val,
        "best_val_perplexity": val, "train_seconds": epochs * tokens / tps,
        "tokens_per_second": tps, "history": history,
        "best_epoch": epochs if val is not None else None, "stopped_epoch": epochs,
        "train_started": started if started is not None else _hour(variant),
        "train_ended": (started if started is not None else _hour(variant))
        + epochs * tokens / tps,
        "predictions": predictions or {"time traveller": f"time traveller {variant}",
                                       "traveller": "traveller x"},
    }
    return {**metrics, **settings}


HOURS: dict[str, int] = {}


def _hour(variant: str) -> float:
    """A start time an hour apart for each name, so that fake jobs never overlap."""
    return 1_767_225_600.0 + 3600 * HOURS.setdefault(variant, len(HOURS))


def write_models(root: Path, *runs: dict) -> Path:
    """Write each run's metrics.json under root/<variant>/ (input data for the report)."""
    for metrics in runs:
        (root / metrics["variant"]).mkdir(parents=True, exist_ok=True)
        (root / metrics["variant"] / "metrics.json").write_text(json.dumps(metrics))
    return root


def ten_runs(**overrides):
    """The ten lab variants with distinct numbers; ``overrides`` maps variant -> fake_metrics kw."""
    runs = []
    for i, variant in enumerate(LAB):
        kw = {"tps": 10_000.0 + 1000 * i, "end": 1.1 + 0.01 * i, "val": 4.0 + 0.1 * i}
        runs.append(fake_metrics(variant, **{**kw, **overrides.get(variant, {})}))
    return runs


@pytest.fixture
def no_plots(monkeypatch):
    """Skip drawing the PNGs (tested elsewhere) where a test looks only at the text: each
    figure is a file holding only the PNG signature."""
    def signature_only(*args):
        path = Path(args[2] if len(args) > 2 and not isinstance(args[2], dict) else args[1])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(PNG_MAGIC)
        return path

    for name in ("plot_perplexity", "plot_speed", "plot_gru_vs_lstm"):
        monkeypatch.setattr(figures, name, signature_only)


@pytest.fixture(scope="module")
def ten(tmp_path_factory):
    """A full report (figures included) of the ten lab variants; lstm_scratch memorises most."""
    root = tmp_path_factory.mktemp("ten")
    runs = ten_runs(lstm_scratch={"end": 1.05, "val": 8.0, "tps": 5_000.0},
                    lstm_concise={"tps": 15_000.0})
    write_models(root / "models", *reversed(runs))
    summary = build_report(root / "models", root / "report")
    return root / "report", summary, runs


def md_of(tmp_path, *runs, **kwargs) -> str:
    build_report(write_models(tmp_path / "models", *runs), tmp_path / "report", **kwargs)
    return (tmp_path / "report" / "comparison.md").read_text()


def test_csv_has_ten_rows_in_design_order(ten):
    """comparison.csv has one row per variant, the promised columns and the input numbers."""
    out, summary, runs = ten
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


def test_markdown_has_header_table_and_four_answers(ten):
    """comparison.md has the header, one table row per variant and every question answered."""
    out, summary, _ = ten
    md = (out / "comparison.md").read_text()
    assert md.startswith("# rnnlab: comparison of 10 variants")
    assert "Device(s): cpu" in md and "torch 9.9.9-test" in md
    table = [line for line in md.splitlines() if line.startswith("| ")]
    assert len(table) == 11  # header and ten rows
    assert table[1].startswith("| rnn_scratch | rnn | scratch | sequential | cpu | 1 | 512 |")
    assert "| 1.05 | 8.00 | 8.00 | 20 | 7.62x |" in md and "| 15,000 | none |" in md
    for heading in ("exercise 8.6-2", "exercise 9.3-2", "Scratch against torch.nn",
                    "Memorisation"):
        assert heading in md
    assert "cannot be answered" not in md
    assert set(summary["answers"]) == {"deep_rnn", "gru_vs_lstm", "scratch_vs_torch",
                                       "memorisation"}


def test_answers_use_the_measured_numbers(ten):
    """The ten-variant answers quote the inputs: deep RNN, GRU/LSTM, scratch/torch, largest gap."""
    md = (ten[0] / "comparison.md").read_text()
    assert "rnn_deep (2 layers) still trains: its training perplexity fell from 25.00 after " \
           "epoch 1 to 1.13 after epoch 20" in md
    assert "Against rnn_concise (1 layer)" in md
    assert "rnn_deep trains 1.08x faster than rnn_concise (13,000 vs 12,000 tokens/s)" in md
    assert "gru_deep trains 1.06x faster than lstm_deep (19,000 vs 18,000 tokens/s)" in md
    assert "lstm, 1 layer, lstm_concise against lstm_scratch: torch.nn trains 3.00x faster " \
           "than scratch (15,000 vs 5,000 tokens/s)." in md
    # rnn_scratch (sequential, like rnn_concise) is the twin, not rnn_scratch_random.
    assert "rnn_concise against rnn_scratch: torch.nn" in md
    assert "; note the hidden sizes differ, 512 vs 256" in md
    assert "gru, 2 layers" not in md  # no scratch deep GRU to compare with
    assert "The largest gap is lstm_scratch: held-out perplexity 8.00 against training " \
           "perplexity 1.05 (7.62x)" in md
    assert "memorised its 10,000 training characters" in md


@pytest.mark.parametrize("gru_tps, lstm_tps, sentence", [
    (20_000.0, 10_000.0, "gru_deep trains 2.00x faster than lstm_deep (20,000 vs 10,000"),
    (10_000.0, 20_000.0, "lstm_deep trains 2.00x faster than gru_deep (20,000 vs 10,000"),
    (10_000.0, 10_000.0, "gru_deep and lstm_deep train at the same speed"),
])
def test_gru_vs_lstm_sentence_follows_the_numbers(gru_tps, lstm_tps, sentence, tmp_path,
                                                  no_plots):
    """Exercise 9.3-2: swapping the measured speeds swaps the conclusion."""
    md = md_of(tmp_path, fake_metrics("gru_deep", tps=gru_tps, end=1.1, val=5.0),
               fake_metrics("lstm_deep", tps=lstm_tps, end=1.3, val=4.5))
    assert sentence in md
    assert "final training perplexity 1.10 vs 1.30 (gru_deep is lower)" in md
    assert "held-out perplexity 5.00 vs 4.50 (lstm_deep is lower)" in md


@pytest.mark.parametrize("scratch_tps, torch_tps, sentence", [
    (5_000.0, 15_000.0, "torch.nn trains 3.00x faster than scratch (15,000 vs 5,000"),
    (15_000.0, 5_000.0, "scratch trains 3.00x faster than torch.nn (15,000 vs 5,000"),
])
def test_scratch_vs_torch_sentence_follows_the_numbers(scratch_tps, torch_tps, sentence,
                                                       tmp_path, no_plots):
    """Scratch against torch.nn: the faster implementation is the measured one."""
    md = md_of(tmp_path, fake_metrics("gru_scratch", tps=scratch_tps),
               fake_metrics("gru_concise", tps=torch_tps))
    assert f"gru, 1 layer, gru_concise against gru_scratch: {sentence}" in md


def test_deep_rnn_that_does_not_train_is_reported(tmp_path, no_plots):
    """Exercise 8.6-2: a deep RNN whose perplexity rises is said not to train."""
    md = md_of(tmp_path, fake_metrics("rnn_deep", start=20.0, end=30.0, tps=4_000.0),
               fake_metrics("rnn_concise", start=25.0, end=2.0, tps=8_000.0, epochs=10))
    assert "rnn_deep (2 layers) did not train: its training perplexity went from 20.00 " \
           "after epoch 1 to 30.00 after epoch 20." in md
    assert "final training perplexity 30.00 vs 2.00 (rnn_concise is lower)" in md
    assert "rnn_concise trains 2.00x faster than rnn_deep (8,000 vs 4,000 tokens/s)" in md
    assert "different numbers of epochs (20 vs 10)" in md
    assert "none shows memorisation yet" not in md


def test_missing_variants_give_cannot_be_answered(tmp_path):
    """One variant without held-out text: every question says why it cannot be answered, and
    every file, figures included, is still written."""
    md = md_of(tmp_path, fake_metrics("lstm_concise", val=None))
    assert "Exercise 8.6-2 cannot be answered: there is no deep RNN" in md
    assert "Exercise 9.3-2 cannot be answered: there is no deep GRU and no deep LSTM" in md
    assert "Scratch against torch.nn cannot be answered" in md
    assert "memorisation gap cannot be answered: no variant has a held-out perplexity" in md
    assert "| n/a | n/a | n/a |" in md
    assert sorted(p.name for p in (tmp_path / "report").iterdir()) == sorted(OUTPUTS)
    for name in PNGS:
        assert (tmp_path / "report" / name).read_bytes()[:8] == PNG_MAGIC


def test_partial_pairs_are_named(tmp_path, no_plots):
    """A deep RNN without a one-layer RNN, and a deep GRU without a deep LSTM, say what lacks."""
    md = md_of(tmp_path, fake_metrics("rnn_deep", val=1.0), fake_metrics("gru_deep", val=0.5))
    assert "rnn_deep (2 layers) still trains" in md
    assert "The comparison with one layer cannot be answered: there is no one-layer RNN" in md
    assert "Exercise 9.3-2 cannot be answered: there is no deep LSTM" in md
    assert "none shows memorisation yet; the highest ratio is rnn_deep" in md


@pytest.mark.parametrize("name", ["perplexity.png", "gru_vs_lstm.png", "speed.png"])
def test_figures_are_real_pngs(ten, name):
    """Each figure of the ten-variant report is a PNG of non-trivial size."""
    data = (ten[0] / name).read_bytes()
    assert data[:8] == PNG_MAGIC and len(data) > 20_000


@pytest.mark.parametrize("present", ["gru", "none"])
def test_gru_vs_lstm_figure_without_a_pair(present, tmp_path):
    """gru_vs_lstm.png is still drawn with one deep model, or none."""
    gru = fake_metrics("gru_deep") if present == "gru" else None
    path = figures.plot_gru_vs_lstm(gru, None, tmp_path / "gru_vs_lstm.png")
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC and len(data) > 5_000


def test_order_prediction_fallback_and_escaping(tmp_path, no_plots):
    """Unknown variants follow the lab's alphabetically; the first prefix stands in for
    'time traveller'; a '|' in a prediction does not break the table."""
    runs = [fake_metrics("zeta", predictions={"the": "the a|b"}), fake_metrics("alpha"),
            fake_metrics("gru_deep")]
    summary = build_report(write_models(tmp_path / "models", *runs), tmp_path / "report")
    assert summary["variants"] == ["gru_deep", "alpha", "zeta"]
    assert summary["rows"][2]["prediction"] == "the a|b"
    assert "`the a\\|b` |" in (tmp_path / "report" / "comparison.md").read_text()


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


def test_report_of_a_real_training_run(tiny_data, tmp_path):
    """The report reads what rnnlab.train writes (one epoch of a tiny deep LSTM)."""
    from rnnlab.train import train

    settings = resolve_variant(validate_config(tiny_config(epochs=1)), "lstm")
    metrics = train(settings, tiny_data, tmp_path / "models" / "lstm", progress=False)
    summary = build_report(tmp_path / "models", tmp_path / "report")
    (row,) = summary["rows"]
    assert row["variant"] == "lstm" and row["layers"] == 2 and row["device"] == "cpu"
    assert row["train_perplexity"] == metrics["train_perplexity"]
    assert row["prediction"] == metrics["predictions"]["time traveller"]
    md = (tmp_path / "report" / "comparison.md").read_text()
    assert f"torch {metrics['torch_version']}" in md
    assert "Exercise 9.3-2 cannot be answered: there is no deep GRU" in md
    assert pd.read_csv(tmp_path / "report" / "comparison.csv")["variant"].tolist() == ["lstm"]
    for name in PNGS:
        assert (tmp_path / "report" / name).read_bytes()[:8] == PNG_MAGIC


def test_import_does_not_load_pandas_matplotlib_or_torch():
    """Importing rnnlab.report stays fast: the heavy libraries load only to build a report."""
    code = ("import sys, rnnlab.report; "
            "print(sorted({'pandas', 'matplotlib', 'torch'} & set(sys.modules)))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"


# ---- comparison.html ------------------------------------------------------------------------


def test_html_stands_alone_with_table_answers_and_figures(ten):
    """comparison.html holds the table (one row per variant), every answer and the three figures
    embedded as base64 PNGs, with no link to another file."""
    out, summary, _ = ten
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


def test_html_and_markdown_escape_user_text(tmp_path, no_plots):
    """A variant name, prefix and prediction holding markup reach the page as text, never as
    tags; the table is headed by the configured prefix."""
    predictions = {"<i>the": "<script>alert(1)</script> |"}
    runs = [fake_metrics(name, predictions=predictions) for name in ("x<b>bold", "gru_deep")]
    build_report(write_models(tmp_path / "models", *runs), tmp_path / "report")
    page = (tmp_path / "report" / "comparison.html").read_text()
    assert "<script>" not in page and "<b>bold" not in page and "<i>the" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; |" in page
    assert "x&lt;b&gt;bold" in page and "&#34;&lt;i&gt;the&#34; →" in page
    md = (tmp_path / "report" / "comparison.md").read_text()
    assert '| "<i>the" → |' in md and "`<script>alert(1)</script> \\|` |" in md


def test_prediction_column_is_headed_by_the_configured_prefix(tmp_path, no_plots):
    """With prefixes other than 'time traveller', the first configured prefix heads the column."""
    runs = [fake_metrics(v, predictions={"the time": f"the time {v}", "he": "he said"})
            for v in ("gru_deep", "lstm_deep")]
    summary = build_report(write_models(tmp_path / "models", *runs), tmp_path / "report")
    md = (tmp_path / "report" / "comparison.md").read_text()
    assert '"the time" →' in md and "time traveller" not in md
    assert [row["prediction"] for row in summary["rows"]] == ["the time lstm_deep",
                                                               "the time gru_deep"]


def tiny_pipeline(project_root: Path, dest: Path, sweeps: dict | None = None) -> Path:
    """The project with one small variant trained for one epoch on a slice of the text (and
    the variants ``sweeps`` generates from it)."""
    import yaml

    from rnnlab.download import bundled_corpus

    copy_project(project_root, dest)
    config = yaml.safe_load((dest / "config.yaml").read_text())
    config["data"].update(url=str(bundled_corpus()), train_tokens=1200, val_tokens=600)
    config["training"].update(epochs=1, eval_every=1, checkpoint_every=1, num_preds=10)
    config["variants"] = {"gru_deep": {**config["variants"]["gru_deep"], "hidden": 16}}
    if sweeps:
        config["sweeps"] = sweeps
    (dest / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return dest


def snakemake_run(project: Path, *args) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": os.pathsep.join([os.path.dirname(sys.executable),
                                                  os.environ.get("PATH", "")])}
    return subprocess.run([sys.executable, "-m", "snakemake", *args], cwd=project,
                          capture_output=True, text=True, env=env)


def embedded(report_page: str, path: str, mime: str) -> bytes:
    """The bytes of ``path`` in a `snakemake --report` page, shown inline as ``mime``."""
    name = path.rsplit("/", 1)[-1]
    entry = re.search(rf'"{re.escape(path)}": \{{"name": "{re.escape(name)}".*?'
                      rf'"mime_type": "{mime}".*?filename={re.escape(name)};base64,'
                      r'([A-Za-z0-9+/=]+)', report_page)
    assert entry, f"{path} is not in the report as {mime}"
    return base64.b64decode(entry.group(1))


def test_comparison_html_shows_in_snakemake_report(project_root, tmp_path):
    """`snakemake --report` of a one-epoch run with a seeds sweep carries comparison.html as an
    inline HTML page (not a download) holding the comparison table, and replicates.csv and
    sweep-seeds.png, which the config's sweep adds to the report rule's outputs."""
    sweeps_config = {"seeds": {"base": ["gru_deep"], "grid": {"seed": [7]}}}
    project = tiny_pipeline(project_root, tmp_path, sweeps_config)
    for args in (["--cores", "1", "all"], ["--report", "report.html"]):
        result = snakemake_run(project, *args)
        assert result.returncode == 0, result.stderr[-3000:]
    report_page = (project / "report.html").read_text()
    page = embedded(report_page, "results/report/comparison.html", "text/html").decode()
    assert page == (project / "results/report/comparison.html").read_text()
    assert ">gru_deep (n = 2)</td>" in page and page.count("data:image/png;base64,") == 4
    replicates = pd.read_csv(project / "results/report/replicates.csv")
    assert replicates["group"].tolist() == ["gru_deep"] and replicates["n"].tolist() == [2]
    assert embedded(report_page, "results/report/sweep-seeds.png", "image/png")[:8] == PNG_MAGIC
    assert "results/report/replicates.csv" in report_page


def test_report_outputs_follow_the_config(project_root, tmp_path):
    """Without sweeps or replicates the report rule promises neither replicates.csv nor a
    sweep figure."""
    project = tiny_pipeline(project_root, tmp_path)
    result = snakemake_run(project, "-n", "--cores", "1", "results/report/comparison.md")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "results/report/comparison.html" in result.stdout
    assert "replicates.csv" not in result.stdout and "sweep-" not in result.stdout


# ---- honest speed ---------------------------------------------------------------------------


def test_overlap_fractions_against_hand_computed_values():
    """Each job's overlapped share: A [0,100] B [50,150] C [140,200] D alone, E unrecorded."""
    def run(name, start, end):
        return {"variant": name, "train_started": start, "train_ended": end}

    fractions = overlap_fractions([run("a", 0, 100), run("b", 50, 150), run("c", 140, 200),
                                   run("d", 300, 400), {"variant": "e"}])
    assert fractions == {"a": 0.5, "b": pytest.approx(0.6), "c": pytest.approx(1 / 6),
                         "d": 0.0, "e": None}


def test_overlapping_jobs_never_give_a_plain_speed_fact(tmp_path, no_plots):
    """When the deep GRU and LSTM trained at the same time, every speed sentence and the table
    say how much they overlapped and point to benchmarks/throughput.py."""
    start = 1_800_000_000.0
    md = md_of(tmp_path, fake_metrics("gru_deep", tps=20_000.0, started=start),
               fake_metrics("lstm_deep", tps=10_000.0, started=start + 4.48),
               fake_metrics("rnn_deep", tps=5_000.0), fake_metrics("rnn_concise", tps=5_000.0))
    assert "trains 2.00x faster" not in md
    assert ("gru_deep ran 2.00x faster than lstm_deep (20,000 vs 10,000 tokens/s), but this was "
            "measured while other training jobs ran on the same machine (share of training time "
            "overlapped: gru_deep 50%, lstm_deep 25%); it is not a clean comparison: run "
            "benchmarks/throughput.py for one.") in md
    assert "Training jobs overlapped: 2 of 4 variants" in md and "up to 50%" in md
    assert "rnn_deep and rnn_concise train at the same speed (5,000 vs 5,000 tokens/s)." in md
    table = {line.split(" | ")[0][2:]: line for line in md.splitlines() if line.startswith("| ")}
    assert "| 20,000 | 50% |" in table["gru_deep"] and "| 5,000 | none |" in table["rnn_deep"]


def test_unrecorded_training_times_are_said_to_be_unknown(tmp_path, no_plots):
    """metrics.json without train_started/train_ended: speed answers say overlap is unknown."""
    runs = [fake_metrics(v) for v in ("gru_deep", "lstm_deep")]
    for metrics in runs:
        del metrics["train_started"], metrics["train_ended"]
    md = md_of(tmp_path, *runs)
    assert ("but when gru_deep and lstm_deep trained is not recorded, so other jobs may have "
            "shared the machine; run benchmarks/throughput.py for a clean comparison") in md
    assert "not recorded for 2 of 2 variants" in md and "| unknown |" in md


# ---- figures --------------------------------------------------------------------------------


def _tick_texts(fig) -> list[str]:
    fig.canvas.draw()
    return [t.get_text() for ax in fig.axes for t in ax.get_yticklabels(which="both")]


@pytest.mark.parametrize("cell, impl", [("rnn", "scratch"), ("lstm", "torch")])
def test_curve_has_plain_log_ticks_integer_epochs_and_best_marker(cell, impl, tmp_path):
    """curve.png: log perplexity axis with plain-number labels, whole-number epoch ticks, the
    cell's colour and the implementation's line style, a star at the best held-out epoch."""
    from matplotlib.colors import to_hex

    from rnnlab.plots import CELL_COLOURMAPS, IMPL_LINESTYLES, curve_figure, pyplot

    metrics = fake_metrics("gru_deep", epochs=7)
    fig = curve_figure(metrics["history"], "v", cell=cell, impl=impl, best_epoch=5)
    (ax,) = fig.axes
    assert ax.get_yscale() == "log"
    labels = [t for t in _tick_texts(fig) if t]
    assert labels and all(re.fullmatch(r"\d+(\.\d+)?", t) for t in labels), labels
    assert all(float(x).is_integer() for x in ax.get_xticks())
    train, _, best = ax.get_lines()
    assert train.get_linestyle() == {"-": "-", "--": "--"}[IMPL_LINESTYLES[impl]]
    colourmap = pyplot().colormaps[CELL_COLOURMAPS[cell]]
    assert to_hex(train.get_color()) == to_hex(colourmap(0.75))
    assert best.get_marker() == "*"
    assert list(best.get_xdata()) == [5]
    assert list(best.get_ydata()) == [metrics["history"][4]["val_perplexity"]]
    pyplot().close(fig)
    path = plot_curve(metrics["history"], "v", tmp_path / "curve.png", cell=cell, impl=impl)
    assert path.read_bytes()[:8] == PNG_MAGIC


def test_curve_without_cell_is_a_solid_line_with_the_lowest_held_out_starred():
    """curve.png when the caller names no cell, implementation or best epoch: a solid line and a
    star at the lowest held-out perplexity of the history."""
    from rnnlab.plots import curve_figure, pyplot

    history = fake_metrics("gru_deep", epochs=10)["history"]
    history[4]["val_perplexity"] = 0.5
    fig = curve_figure(history, "v")
    train, _, best = fig.axes[0].get_lines()
    assert train.get_linestyle() == "-"
    assert (list(best.get_xdata()), list(best.get_ydata())) == ([5], [0.5])
    pyplot().close(fig)


def test_perplexity_figure_stars_each_best_epoch():
    """perplexity.png: a star per variant at its best held-out epoch, shades of one colour for
    the variants of one cell, dashed scratch and solid torch.nn."""
    from rnnlab.plots import pyplot

    runs = [fake_metrics("gru_scratch", best_epoch=10), fake_metrics("gru_concise"),
            fake_metrics("lstm_deep", best_epoch=15)]
    runs[0]["history"][9]["val_perplexity"] = 1.5
    fig = figures.perplexity_figure(stats.replicate_groups(runs))
    train_ax, val_ax = fig.axes
    stars = [(line.get_xdata()[0], line.get_ydata()[0]) for line in val_ax.get_lines()
             if line.get_marker() == "*"]
    assert stars == [(10, 1.5), (20, 4.0), (15, runs[2]["history"][14]["val_perplexity"])]
    styles = [(line.get_color(), line.get_linestyle()) for line in train_ax.get_lines()]
    assert styles[0][0] != styles[1][0] and styles[0][1] == "--" and styles[1][1] == "-"
    assert all(re.fullmatch(r"\d+(\.\d+)?", t) for t in _tick_texts(fig) if t)
    pyplot().close(fig)


# ---- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize("edit, key", [
    (lambda m: m["history"][3].update(val_perplexity="abc"), "history[3].val_perplexity"),
    (lambda m: m["history"][0].update(seconds=None), "history[0].seconds"),
    (lambda m: m.update(best_epoch="5"), "best_epoch"),
    (lambda m: m.update(train_ended=m["train_started"] - 1), "train_ended"),
    (lambda m: m.update(predictions={"the": 3}), "predictions"),
    (lambda m: m.update(history={"epoch": 1}), "history"),
])
def test_bad_values_give_one_line_naming_file_and_key(edit, key, tmp_path):
    """A wrong value anywhere the report reads is one line of `rnnlab report` naming the file
    and the key, with no traceback and nothing written."""
    metrics = fake_metrics("gru_deep")
    edit(metrics)
    write_models(tmp_path / "models", metrics)
    result = rnnlab("report", "--models", tmp_path / "models", "--out", tmp_path / "report")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert str(tmp_path / "models" / "gru_deep" / "metrics.json") in line
    assert f"bad value: {key}:" in line
    assert not (tmp_path / "report").exists()


# ---- replicates and sweeps ------------------------------------------------------------------


def seeds(variant, values, **kw):
    """``variant`` and its generated replicates <variant>--seed-<s>, one final training
    perplexity (and best held-out) per value."""
    runs = []
    for i, value in enumerate(values):
        name = variant if i == 0 else f"{variant}--seed-{i}"
        runs.append(fake_metrics(name, **{"end": value, "val": value + 3, **kw}, seed=i,
                                 **({"cell": LAB[variant][0], "impl": LAB[variant][1],
                                     "layers": LAB[variant][2], "hidden": LAB[variant][3],
                                     "lr": LAB[variant][4]} if i else {})))
    return runs


@pytest.mark.parametrize("name, group", [
    ("gru_deep", "gru_deep"), ("gru_deep--seed-3", "gru_deep"),
    ("rnn_scratch--hidden-64--seed-2", "rnn_scratch--hidden-64"),
    ("rnn_scratch--seed-2--lr-0.5", "rnn_scratch--lr-0.5"),
    ("rnn_scratch--seeds-2", "rnn_scratch--seeds-2"),
])
def test_group_name_drops_the_seed_segment(name, group):
    """A replicate group is named after the variant without its --seed-<value> segment."""
    assert stats.group_name(name) == group


def test_groups_join_only_variants_that_differ_in_seed_alone():
    """gru_deep and two seeds form one group (base first); a seed variant with another hidden
    size stands alone under its own name."""
    runs = [*seeds("gru_deep", [1.1, 1.2, 1.3]), fake_metrics("lstm_deep")]
    odd = {**runs[1], "variant": "gru_deep--seed-9", "hidden": 8, "seed": 9}
    groups = stats.replicate_groups([runs[2], *runs[:2], odd, runs[3]])
    assert [(g.name, g.variants) for g in groups] == [
        ("gru_deep", ["gru_deep", "gru_deep--seed-2", "gru_deep--seed-1"]),
        ("gru_deep--seed-9", ["gru_deep--seed-9"]), ("lstm_deep", ["lstm_deep"])]
    assert stats.has_replicates(runs) and not stats.has_replicates([runs[0], runs[3]])


def test_summary_and_welch_against_hand_computed_values():
    """[1, 2, 3, 4]: mean 2.5, sample sd sqrt(5/3), 95% CI half-width t(0.975, 3) = 3.182 times
    sd / 2. Welch on [1, 2, 3] vs [4, 5, 6, 7]: t = -3.5 / sqrt(1/3 + (5/3)/4) = -4.04 with
    4.96 degrees of freedom, p = 0.0101."""
    summary = stats.summarise([1.0, 2.0, 3.0, 4.0])
    assert summary.n == 4 and summary.mean == 2.5
    assert summary.std == pytest.approx(math.sqrt(5 / 3))
    assert summary.ci95 == pytest.approx(3.182446 * math.sqrt(5 / 3) / 2, rel=1e-6)
    assert stats.summarise([7.0]) == stats.Summary(1, 7.0, None, None)
    assert stats.welch_p([1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0]) == pytest.approx(0.010077,
                                                                                 rel=1e-4)
    assert stats.welch_p([1.0, 1.0], [2.0, 2.0]) is None  # no spread: undefined


def test_replicates_csv_gives_n_mean_std_ci_per_group(tmp_path, no_plots):
    """replicates.csv has a row per group of two or more, with the promised columns and the
    hand-computed statistics; singletons are not in it."""
    runs = [*seeds("gru_deep", [1.0, 2.0, 3.0, 4.0]), *seeds("lstm_deep", [2.0, 4.0]),
            fake_metrics("rnn_deep")]
    summary = build_report(write_models(tmp_path / "models", *runs), tmp_path / "report")
    frame = pd.read_csv(tmp_path / "report" / "replicates.csv")
    assert list(frame.columns) == ["group", "n"] + [
        f"{key}_{part}" for key in ("train_perplexity", "best_val_perplexity",
                                    "tokens_per_second") for part in ("mean", "std", "ci95")]
    assert frame["group"].tolist() == ["lstm_deep", "gru_deep"]
    gru = frame.set_index("group").loc["gru_deep"]
    assert gru["n"] == 4 and gru["train_perplexity_mean"] == pytest.approx(2.5)
    assert gru["best_val_perplexity_mean"] == pytest.approx(5.5)
    assert gru["train_perplexity_std"] == pytest.approx(math.sqrt(5 / 3))
    assert gru["train_perplexity_ci95"] == pytest.approx(3.182446 * math.sqrt(5 / 3) / 2)
    assert gru["tokens_per_second_std"] == 0
    lstm = frame.set_index("group").loc["lstm_deep"]
    assert lstm["train_perplexity_ci95"] == pytest.approx(12.706205 * math.sqrt(2) / math.sqrt(2))
    assert [g.n for g in summary["groups"]] == [1, 2, 4]
    md = (tmp_path / "report" / "comparison.md").read_text()
    assert "| gru_deep (n = 4) |" in md and "| 2.50 ± 2.05 |" in md
    assert "| rnn_deep |" in md and "replicates.csv" in md


def test_no_replicates_no_replicates_csv(tmp_path, no_plots):
    """Without variants that differ only in seed there is no replicates.csv."""
    build_report(write_models(tmp_path / "models", *ten_runs()[:3]), tmp_path / "report")
    assert not (tmp_path / "report" / "replicates.csv").exists()


@pytest.mark.parametrize("gru, lstm, verdict", [
    ([1.0, 1.2, 1.1], [3.1, 3.3, 3.0], "significant at 5%"),
    ([1.0, 1.2, 1.1], [1.1, 1.3, 1.0], "not significant at 5%"),
])
def test_groups_are_compared_with_welch(gru, lstm, verdict, tmp_path, no_plots):
    """Deep GRU against deep LSTM with three seeds each: n, means with CIs, p and a plain
    verdict at 5%."""
    runs = [*seeds("gru_deep", gru), *seeds("lstm_deep", lstm)]
    md = md_of(tmp_path, *runs)
    answer = md.split("(exercise 9.3-2)")[1].split("###")[0]
    p = stats.welch_p(gru, lstm)
    gru_ci, lstm_ci = stats.summarise(gru), stats.summarise(lstm)
    assert "Over seeds (n = 3 vs 3; mean ± 95% confidence interval; Welch's t-test)" in answer
    assert (f"final training perplexity {gru_ci.mean:.2f} ± {gru_ci.ci95:.2f} vs "
            f"{lstm_ci.mean:.2f} ± {lstm_ci.ci95:.2f} (p = {p:.2g}, {verdict})") in answer
    assert "tokens/s 10,000 ± 0 vs 10,000 ± 0 (no spread in either group" in answer
    assert "one run cannot tell" not in answer
    assert "gru_deep against lstm_deep" in answer


def test_one_run_cannot_tell(tmp_path, no_plots):
    """With n = 1 on a side, the answer says one run cannot tell, and runs no test."""
    md = md_of(tmp_path, *seeds("gru_deep", [1.0, 1.2]), fake_metrics("lstm_deep"),
               fake_metrics("gru_concise"), fake_metrics("gru_scratch"))
    answer = md.split("(exercise 9.3-2)")[1].split("###")[0]
    assert ("lstm_deep has one run (n = 1), and one run cannot tell whether a difference is "
            "more than seed-to-seed noise") in answer
    assert "Welch" not in answer and "significant" not in answer
    assert ("gru_concise and gru_scratch have one run each (n = 1), and one run cannot tell"
            in md)


def test_group_curves_have_confidence_bands(tmp_path):
    """perplexity.png draws a group of replicates as its mean with a 95% band, a single run
    without one; speed.png and the sweep figures are real PNGs."""
    from matplotlib.collections import PolyCollection

    from rnnlab.plots import pyplot

    runs = [*seeds("gru_deep", [1.0, 1.4, 1.2]), fake_metrics("lstm_deep")]
    groups = stats.replicate_groups(runs)
    fig = figures.perplexity_figure(groups)
    train_ax, val_ax = fig.axes
    bands = [c for c in train_ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 1 and len([c for c in val_ax.collections
                                    if isinstance(c, PolyCollection)]) == 1
    mean_line = train_ax.get_lines()[0]
    assert mean_line.get_label() == "gru_deep (n = 3)"
    assert mean_line.get_ydata()[-1] == pytest.approx(1.2)
    pyplot().close(fig)
    specs = {"seeds": {"base": ["gru_deep"], "grid": {"seed": [1, 2]}}}
    build_report(write_models(tmp_path / "models", *runs), tmp_path / "report",
                 sweep_specs=specs)
    for name in ("speed.png", "sweep-seeds.png"):
        data = (tmp_path / "report" / name).read_bytes()
        assert data[:8] == PNG_MAGIC and len(data) > 20_000


def test_sweep_figure_per_swept_key(tmp_path, no_plots):
    """A sweep of hidden and lr, replicated over seeds, gives sweep-<name>.png with a row of
    panels per swept key, and the members of the sweep are its base and generated names."""
    base = fake_metrics("rnn_scratch", hidden=512, lr=1)
    runs = [base]
    for hidden in (64, 128):
        for lr in (1, 2):
            for seed in (1, 2):
                runs.append(fake_metrics(f"rnn_scratch--hidden-{hidden}--lr-{lr}--seed-{seed}",
                                         cell="rnn", impl="scratch", hidden=hidden, lr=lr,
                                         seed=seed, end=1 + hidden / 100 + seed / 10))
    spec = {"base": ["rnn_scratch"], "grid": {"hidden": [64, 128], "lr": [1, 2],
                                              "seed": [1, 2]}}
    members = sweeps.sweep_members(spec, "rnn_scratch", [*runs, fake_metrics("rnn_deep")])
    assert [m["variant"] for m in members] == [m["variant"] for m in runs]
    fig = sweeps.sweep_figure("grid", spec, runs, stats.replicate_groups(runs))
    assert len(fig.axes) == 2 * 3  # hidden and lr, three results each
    hidden_ax = fig.axes[1]
    assert hidden_ax.get_xlabel() == "hidden" and hidden_ax.get_ylabel().startswith("final")
    sweeps.pyplot().close(fig)


@pytest.mark.parametrize("specs, message", [
    ("[1]", "expected a mapping"),
    ('{"s": {"base": [], "grid": {"seed": [1]}}}', "sweep 's' needs base"),
    ('{"s": {"base": ["a"], "grid": {"seed": []}}}', "sweep 's' needs grid"),
    ('{"../x": {"base": ["a"], "grid": {"seed": [1]}}}', "sweep name '../x'"),
    ("{not json", "--sweeps is not JSON"),
])
def test_bad_sweeps_give_one_line(specs, message, tmp_path):
    """`rnnlab report --sweeps` with a malformed mapping exits 1 with one line naming it."""
    write_models(tmp_path / "models", fake_metrics("gru_deep"))
    result = rnnlab("report", "--models", tmp_path / "models", "--out", tmp_path / "report",
                    "--sweeps", specs)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert message in line


def test_test_perplexity_column_only_when_a_variant_has_it(tmp_path, no_plots):
    """comparison.md shows a 'test ppl' column when a variant measured test perplexity (n/a for
    the others) and none for runs without a test split; comparison.csv has the numbers."""
    plain = md_of(tmp_path / "plain", fake_metrics("alpha"), fake_metrics("zeta"))
    assert "test ppl" not in plain
    text = md_of(tmp_path / "words", fake_metrics("alpha", test_perplexity=123.456),
                 fake_metrics("zeta"))
    header = next(line for line in text.splitlines() if "test ppl" in line)
    column = header.split(" | ").index("test ppl")
    rows = {line.split(" | ")[0].strip("| "): line.split(" | ")[column]
            for line in text.splitlines() if line.startswith(("| alpha", "| zeta"))}
    assert rows["alpha"].startswith("123.") and rows["zeta"] == "n/a"
    frame = pd.read_csv(tmp_path / "words" / "report" / "comparison.csv")
    assert frame.set_index("variant").loc["alpha", "test_perplexity"] == pytest.approx(123.456)
