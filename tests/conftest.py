"""Shared fixtures: the project root and a tiny preprocessed corpus."""

import os
from pathlib import Path

import pytest
import torch

from rnnlab.download import bundled_corpus
from rnnlab.preprocess import preprocess

ROOT = Path(__file__).resolve().parents[1]
TINY_LINES = 120  # about 4000 characters of The Time Machine
# Tiny models run fastest on one thread, and on a shared 2-core machine several threads per
# test process spin against each other (10x slower under load); subprocesses inherit it.
os.environ.setdefault("OMP_NUM_THREADS", "1")
torch.set_num_threads(1)


@pytest.fixture(scope="session")
def project_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def tiny_text(tmp_path_factory) -> Path:
    """The first lines of the lab's text: a corpus small enough for 1-2 epoch tests."""
    lines = bundled_corpus().read_text("utf-8").splitlines()[:TINY_LINES]
    path = tmp_path_factory.mktemp("text") / "tiny.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def tiny_data(tiny_text, tmp_path_factory) -> Path:
    """A preprocessed character corpus of the tiny text."""
    out = tmp_path_factory.mktemp("data")
    preprocess(tiny_text, "char", out)
    return out


@pytest.fixture
def no_plots(monkeypatch):
    """Skip drawing the report's PNGs (tested in test_report_figures.py) where a test looks only
    at the text: each figure is a file holding only the PNG signature."""
    from report_inputs import PNG_MAGIC

    from rnnlab.report import figures

    def signature_only(*args):
        path = Path(args[2] if len(args) > 2 and not isinstance(args[2], dict) else args[1])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(PNG_MAGIC)
        return path

    for name in ("plot_perplexity", "plot_speed", "plot_gru_vs_lstm"):
        monkeypatch.setattr(figures, name, signature_only)


@pytest.fixture(scope="session")
def ten_report(tmp_path_factory):
    """A full report (figures included) of the ten lab variants, built once for the report's
    tests: (report folder, build_report's summary, the runs). lstm_scratch memorises most."""
    from report_inputs import ten_runs, write_models

    from rnnlab.report import build_report

    root = tmp_path_factory.mktemp("ten")
    runs = ten_runs(lstm_scratch={"end": 1.05, "val": 8.0, "tps": 5_000.0},
                    lstm_concise={"tps": 15_000.0})
    write_models(root / "models", *reversed(runs))
    summary = build_report(root / "models", root / "report")
    return root / "report", summary, runs
